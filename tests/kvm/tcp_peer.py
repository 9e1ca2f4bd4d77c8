#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The host-side TCP peer of the kvm net tests (net-tcp.sh, qemu-probe.sh), run inside the test's
# network namespace. sink ADDR PORT BYTES IFACE|- FLAG: a TCP server that takes one connection
# and checks every byte of the stream (byte k = k & 0xff) until EOF; with an interface name, an
# AF_PACKET socket there counts the guest's TCP frames, those larger than 1514 bytes
# (super-frames) and the largest. source PORT BYTES FLAG: waits for the guest's "ready"
# datagram, connects to it, sends the stream, half-closes and waits for the guest's FIN. Both
# create FLAG once their sockets are bound and print one JSON line.
import json, socket, struct, sys, threading, time

def pattern(n):
    return (bytes(range(256)) * (n // 256 + 2))

def sink(addr, port, n, iface, flag):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    cap = None
    if iface != "-":
        cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        cap.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
        cap.bind((iface, 0))
    open(flag, "w").close()
    s.settimeout(15)
    c, peer = s.accept()
    c.settimeout(15)
    exp = pattern(1 << 20)
    got, bad, first_bad = 0, 0, -1
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        i = 0
        while i < len(d):
            k = min(len(d) - i, 1 << 19)
            o = (got + i) & 0xff
            if d[i:i + k] != exp[o:o + k]:
                bad += 1
                if first_bad < 0:
                    first_bad = got + i
            i += k
        got += len(d)
    c.close()
    out = dict(received=got, intact=got == n and bad == 0, bad_chunks=bad, first_bad=first_bad,
               sport=peer[1])
    if cap:
        cap.setblocking(False)
        frames = big = biggest = 0
        while True:
            try:
                f = cap.recv(1 << 17)
            except BlockingIOError:
                break
            ip = f[14:]
            if len(ip) < 24 or ip[9] != 6 or ip[12:16] != socket.inet_aton(peer[0]):
                continue
            frames += 1
            big += len(f) > 1514
            biggest = max(biggest, len(f))
        out.update(wire_frames=frames, wire_big=big, wire_max=biggest)
    print(json.dumps(out))

def source(port, n, flag):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.99.1.1", port))
    open(flag, "w").close()
    u.settimeout(15)
    while True:
        d, a = u.recvfrom(2048)
        if d == b"ready":
            break
    c = socket.create_connection((a[0], port), timeout=15)
    t = time.perf_counter()
    c.sendall(pattern(n)[:n])
    c.shutdown(socket.SHUT_WR)
    eof = c.recv(16) == b""
    sec = time.perf_counter() - t
    c.close()
    print(json.dumps(dict(sent=n, eof=eof, ms=round(sec * 1000, 2))))

a = sys.argv[1:]
if a[0] == "sink":
    sink(a[1], int(a[2]), int(a[3]), a[4], a[5])
else:
    source(int(a[1]), int(a[2]), a[3])
