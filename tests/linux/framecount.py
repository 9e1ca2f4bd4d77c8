#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts the frames that cross a tap, per direction, and those longer than the MTU allows.

usage: framecount.py IFACE MTU OUT.json READY_FLAG

Runs until SIGTERM or SIGINT, then writes OUT.json:
  {"iface", "mtu", "guest_to_host": {"frames", "over_mtu", "max_len"}, "host_to_guest": {...}}
A frame is over the MTU when its length without the 14-byte Ethernet header exceeds MTU: on a
tap that means a super-frame that the tap carried unsegmented (TSO). Frames the tap transmits
(PACKET_OUTGOING) go to the guest; the others came from it. READY_FLAG is created once the
packet socket is bound."""
import json
import signal
import socket
import sys

ETH_P_ALL = 0x0003
ETH_HLEN = 14
PACKET_OUTGOING = 4


def main(iface, mtu, out, ready):
    mtu = int(mtu)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    stats = {d: {"frames": 0, "over_mtu": 0, "max_len": 0} for d in ("guest_to_host", "host_to_guest")}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    open(ready, "w").close()
    buf = bytearray(64)
    while not stop:
        try:
            # MSG_TRUNC: the frame's real length, however little of it is copied.
            n, addr = s.recvfrom_into(buf, len(buf), socket.MSG_TRUNC)
        except (socket.timeout, InterruptedError):
            continue
        d = stats["host_to_guest" if addr[2] == PACKET_OUTGOING else "guest_to_host"]
        d["frames"] += 1
        d["max_len"] = max(d["max_len"], n)
        if n - ETH_HLEN > mtu:
            d["over_mtu"] += 1
    with open(out, "w") as f:
        json.dump({"iface": iface, "mtu": mtu, **stats}, f)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
