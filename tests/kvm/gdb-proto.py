#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--gdb at the protocol level, as a hostile or plain client: bad checksums, an overlong packet,
bad hex, unmapped addresses (error replies, no crash), Ctrl-C (0x03) stopping a guest that runs
CPL-3 code, detach and re-attach, a client that just goes away, and SIGTERM with gdb attached.
usage: gdb-proto.py MINNOW PROBE_ELF"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def frame(payload):
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xff)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def byte(self):
        if not self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError("minnow closed the connection")
            self.buf = data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def ack(self, want=b"+"):
        got = self.byte()
        if got != want:
            fail("expected %r, got %r" % (want, got))

    def reply(self):
        """The next packet's payload (checked checksum); acknowledges it."""
        while self.byte() != b"$":
            pass
        data = b""
        while (c := self.byte()) != b"#":
            data += c
        csum = self.byte() + self.byte()
        if int(csum, 16) != sum(data) & 0xff:
            fail("bad checksum from minnow on %r" % data)
        self.s.sendall(b"+")
        return data

    def cmd(self, payload):
        self.s.sendall(frame(payload))
        self.ack()
        return self.reply()

    def expect(self, payload, want):
        got = self.cmd(payload)
        if got != want:
            fail("%r: expected %r, got %r" % (payload, want, got))
        return got


def serial_size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def grows(path, seconds=1.0):
    before = serial_size(path)
    time.sleep(seconds)
    return serial_size(path) > before


def reg(regs, off, size):
    return int.from_bytes(bytes.fromhex(regs[2 * off:2 * (off + size)].decode()), "little")


RIP_OFF, CS_OFF, REGS_BYTES = 16 * 8, 16 * 8 + 8 + 4, 552


def main():
    minnow, probe = sys.argv[1], sys.argv[2]
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is missing or not accessible")
        sys.exit(77)
    tmp = tempfile.mkdtemp()
    sock, serial = os.path.join(tmp, "gdb.sock"), os.path.join(tmp, "serial")
    proc = subprocess.Popen([minnow, "run", "-k", probe, "-p",
                             "probe.mode=print-loop probe.count=4000000000",
                             "--serial", "file=" + serial, "--gdb", sock],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        c = Client(sock)

        # Held before the first instruction: nothing printed, rip at the PVH entry.
        c.expect(b"?", b"T05thread:1;")
        regs = c.cmd(b"g")
        if len(regs) != 2 * REGS_BYTES:
            fail("g reply has %d hex digits, expected %d" % (len(regs), 2 * REGS_BYTES))
        entry = int(subprocess.check_output(["nm", probe], text=True).split("pvh_start32")[0]
                    .splitlines()[-1].split()[0], 16)
        if reg(regs, RIP_OFF, 8) != entry:
            fail("rip 0x%x at attach, expected pvh_start32 0x%x" % (reg(regs, RIP_OFF, 8), entry))
        if serial_size(serial) or grows(serial, 0.3):
            fail("the guest ran before gdb continued")

        # A hostile client: each bad packet gets '-' or an error reply, and the session goes on.
        c.s.sendall(b"$g#00")
        c.ack(b"-")
        c.s.sendall(frame(b"m" + b"1" * 5000))
        c.ack(b"-")
        c.expect(b"m100000000,4", b"E0e")	# paging is off: above 4 GiB is no address
        c.expect(b"m7fffffff0,4", b"E0e")	# no RAM there
        c.expect(b"mzz,4", b"E16")
        c.expect(b"M100000,2:0g00", b"E16")
        c.expect(b"M100000,4:00", b"E16")	# length and data disagree
        c.expect(b"X100000,2:a", b"E16")
        c.expect(b"p99", b"E16")
        c.expect(b"P10=00", b"E16")	# rip wants 8 bytes
        c.expect(b"Hg5", b"E16")	# one vCPU only
        c.expect(b"Z2,100000,1", b"")	# watchpoints are not offered
        c.expect(b"vMustReplyEmpty", b"")
        # Memory written through M reads back (then restored).
        orig = c.cmd(b"m%x,4" % entry)
        c.expect(b"M%x,4:deadbeef" % entry, b"OK")
        c.expect(b"m%x,4" % entry, b"deadbeef")
        c.expect(b"M%x,4:%s" % (entry, orig), b"OK")
        # A register written through P reads back.
        c.expect(b"P0=1122334455667788", b"OK")
        c.expect(b"p0", b"1122334455667788")

        # Continue, then Ctrl-C stops the guest in its CPL-3 loop.
        c.s.sendall(frame(b"c"))
        c.ack()
        if not grows(serial, 1.0):
            fail("the guest does not print after 'c'")
        c.s.sendall(b"\x03")
        got = c.reply()
        if got != b"T02thread:1;":
            fail("after Ctrl-C: %r, expected T02thread:1;" % got)
        regs = c.cmd(b"g")
        if reg(regs, CS_OFF, 4) != 0x23:
            fail("stopped with cs 0x%x, expected 0x23 (CPL 3)" % reg(regs, CS_OFF, 4))
        if grows(serial, 0.5):
            fail("the guest still prints while stopped")
        # A step there (on kvm-pvm through the guest's #DB handler): one instruction, still CPL 3.
        rip = reg(regs, RIP_OFF, 8)
        c.s.sendall(frame(b"s"))
        c.ack()
        got = c.reply()
        regs = c.cmd(b"g")
        # (A branch may go anywhere; the probe's print loop has no jump to itself.)
        if got != b"T05thread:1;" or reg(regs, CS_OFF, 4) != 0x23 or reg(regs, RIP_OFF, 8) == rip:
            fail("CPL-3 step from 0x%x: %r, now rip 0x%x cs 0x%x" %
                 (rip, got, reg(regs, RIP_OFF, 8), reg(regs, CS_OFF, 4)))
        if grows(serial, 0.3):
            fail("the guest runs on after a step")

        # Detach: OK, the guest runs on; a new client stops it again.
        c.expect(b"D", b"OK")
        if not grows(serial, 1.0):
            fail("the guest does not run after detach")
        c = Client(sock)
        c.expect(b"?", b"T05thread:1;")
        if grows(serial, 0.5):
            fail("re-attach did not stop the guest")
        # A client that goes away without detaching lets the guest run on too.
        c.s.close()
        if not grows(serial, 1.0):
            fail("the guest does not run after the client went away")

        # SIGTERM with gdb attached (and the guest running): minnow ends with 143 and says so.
        c = Client(sock)
        c.expect(b"?", b"T05thread:1;")
        c.s.sendall(frame(b"c"))
        c.ack()
        proc.send_signal(signal.SIGTERM)
        got = c.reply()
        if got != b"W8f":
            fail("after SIGTERM gdb got %r, expected W8f (exit status 143)" % got)
        status = proc.wait(timeout=20)
        if status != 143:
            fail("minnow exited %d, expected 143" % status)
    except (EOFError, OSError, subprocess.TimeoutExpired) as e:
        proc.kill()
        fail("%s; minnow stderr: %s" % (e, proc.communicate()[1].decode(errors="replace")))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for f in (sock, serial):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(tmp)
    print("ok: bad packets refused, errors for bad addresses, Ctrl-C and a step at CPL 3, "
          "detach, re-attach, disconnect, SIGTERM")


if __name__ == "__main__":
    main()
