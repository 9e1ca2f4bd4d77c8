#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minnow's gdb stub against a running Linux kernel, at the protocol level: attach while the guest
waits for its first instruction, let it run, stop it (Ctrl-C) once it has printed a kernel symbol's
address from /proc/kallsyms ("guest-symbol: NAME ADDR" on its serial log), set a breakpoint
there (Z0, what gdb's `break` sends), continue until the kernel hits it, read the registers,
remove the breakpoint and detach so that the guest ends normally.

usage: gdbkernel.py SOCKET SERIAL_LOG TIMEOUT
Prints what it did; its last line is "gdb: ok: ..." or "gdb: FAIL: ..." (exit 0 or 1)."""
import importlib.util
import os
import re
import sys
import time

spec = importlib.util.spec_from_file_location(
    "gdbproto", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kvm", "gdb-proto.py"))
gdbproto = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gdbproto)


def fail(msg):
    print("gdb: FAIL: " + msg, flush=True)
    sys.exit(1)


gdbproto.fail = fail


def main(sock, serial, timeout):
    end = time.monotonic() + float(timeout)
    while not os.path.exists(sock):
        if time.monotonic() > end:
            fail("no gdb socket %s" % sock)
        time.sleep(0.1)
    c = gdbproto.Client(sock)
    c.s.settimeout(float(timeout))
    print("gdb: attached, stop reply %s" % c.cmd(b"?").decode(), flush=True)
    c.s.sendall(gdbproto.frame(b"c"))
    c.ack()
    sym = None
    while sym is None:
        if time.monotonic() > end:
            fail("the guest printed no guest-symbol line")
        text = open(serial, errors="replace").read() if os.path.exists(serial) else ""
        m = re.search(r"^guest-symbol: (\S+) ([0-9a-f]{16})\r?$", text, re.M)
        if m:
            sym = (m.group(1), int(m.group(2), 16))
        else:
            time.sleep(0.2)
    name, addr = sym
    c.s.sendall(b"\x03")
    print("gdb: interrupted, stop reply %s" % c.reply().decode(), flush=True)
    z = c.cmd(b"Z0,%x,1" % addr)
    if z != b"OK":
        fail("Z0 (breakpoint) at %s 0x%x: %r" % (name, addr, z))
    c.s.sendall(gdbproto.frame(b"c"))
    c.ack()
    stop = c.reply().decode()
    if not stop.startswith("T"):
        fail("the kernel did not stop at %s 0x%x: %s" % (name, addr, stop))
    regs = c.cmd(b"g")
    rip, cs = gdbproto.reg(regs, gdbproto.RIP_OFF, 8), gdbproto.reg(regs, gdbproto.CS_OFF, 4)
    print("gdb: stop reply %s; rip 0x%x, cs 0x%x" % (stop, rip, cs), flush=True)
    if c.cmd(b"z0,%x,1" % addr) != b"OK":
        fail("removing the breakpoint failed")
    if c.cmd(b"D") != b"OK":
        fail("detach failed")
    if not stop.startswith("T05") or rip != addr or cs & 3:
        fail("stopped with %s at rip 0x%x cs 0x%x, want T05 at %s 0x%x in ring 0" % (
            stop, rip, cs, name, addr))
    print("gdb: ok: stopped at %s (0x%x) in ring 0, registers read, detached" % (name, addr))


if __name__ == "__main__":
    main(*sys.argv[1:])
