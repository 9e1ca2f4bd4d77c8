#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Judges one boot of the Linux guest (guest-images/linux) from what the host saw, the same way
for every VMM: the guest's serial log, the frames counted on the tap (framecount.py), the VMM's
exit status and, for minnow, its --metrics. Prints one line per check and a summary, writes the
result as JSON, and exits 0 only when every check passed.

usage: bootcheck.py --vmm NAME --serial LOG --exit STATUS --want-exit STATUS [--features LIST]
                    [--frames JSON] [--dirs tx,rx] [--steps LIST] [--blob-sha256 HEX:LEN]
                    [--mem-above BYTES] [--cpus N] [--mtu N] [--pcap FILE] [--metrics JSON]
                    [--pairs N] [--snapshots DIR] [--host-neigh FILE]
                    [--name NAME] [--seconds S] [--json OUT] [--junit OUT]

--steps names the guest's step blocks (guest.steps), each of which must end with status 0; some
have more to check: integrity (both sha256 sums equal --blob-sha256), mem (MemTotal over
--mem-above, --cpus CPUs), mtu (the interface's MTU is --mtu). The steps mq and ctrl print
several blocks (mq-*, ctrl-*) and are judged with the metrics snapshots the guest asked for
(--snapshots DIR holds metrics-NAME.json) and the final --metrics: mq against --pairs queue
pairs, ctrl also against the host's neighbour entry for the guest (--host-neigh, `ip neigh`'s
line). --pcap reads minnow's capture back with tshark and tcpdump and checks its offload
annotations. --junit writes the checks as JUnit XML, one testcase each."""
import argparse
import json
import os
import re
import subprocess
import sys
from xml.sax.saxutils import escape, quoteattr

# virtio 1.2 §5.1.3 (net) and §6 (reserved feature bits).
FEATURES = {
    0: "CSUM", 1: "GUEST_CSUM", 2: "CTRL_GUEST_OFFLOADS", 3: "MTU", 5: "MAC",
    7: "GUEST_TSO4", 8: "GUEST_TSO6", 9: "GUEST_ECN", 10: "GUEST_UFO", 11: "HOST_TSO4",
    12: "HOST_TSO6", 13: "HOST_ECN", 14: "HOST_UFO", 15: "MRG_RXBUF", 16: "STATUS",
    17: "CTRL_VQ", 18: "CTRL_RX", 19: "CTRL_VLAN", 21: "GUEST_ANNOUNCE", 22: "MQ",
    23: "CTRL_MAC_ADDR", 28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1",
    33: "ACCESS_PLATFORM", 34: "RING_PACKED", 35: "IN_ORDER", 36: "ORDER_PLATFORM",
    37: "SR_IOV", 38: "NOTIFICATION_DATA", 54: "GUEST_USO4", 55: "GUEST_USO6", 56: "HOST_USO",
    61: "RSC_EXT", 62: "STANDBY",
}
# What `ethtool -k` must say when the offloads are in effect in the guest.
ETHTOOL_ON = ["tx-checksumming", "rx-checksumming", "tcp-segmentation-offload",
              "tx-tcp-segmentation", "tx-tcp6-segmentation"]
END = re.compile(r"^=== guest end: status=(\d+) ===$", re.M)


def blocks(log):
    """The <<< NAME ... >>> NAME rc=N blocks of the guest's output: {NAME: (lines, rc)}."""
    out, name, lines = {}, None, []
    for line in log.splitlines():
        if name is None and line.startswith("<<< "):
            name, lines = line[4:].strip(), []
        elif name is not None and line.startswith(">>> " + name + " rc="):
            out[name] = ("\n".join(lines), int(line.rsplit("=", 1)[1]))
            name = None
        elif name is not None:
            lines.append(line)
    return out


class Report:
    def __init__(self, vmm):
        self.r = {"vmm": vmm, "checks": []}

    def check(self, name, ok, detail):
        self.r["checks"].append({"name": name, "ok": bool(ok), "detail": detail})
        print("%s: %s: %s" % ("pass" if ok else "FAIL", name, detail))
        return ok


def iperf(rep, name, text, rc, streams=None):
    """One iperf3 -J result: completed, no error, bytes moved (with --streams: that many parallel
    streams, each of which moved bytes); its receiver's Mbit/s."""
    try:
        j = json.loads(text[text.index("{"):text.rindex("}") + 1])
    except ValueError as e:
        rep.check(name, False, "no JSON from iperf3 (exit %d): %s: %s" % (rc, e, text[-300:]))
        return None
    end, start = j.get("end", {}), j.get("start", {})
    sent, recv = end.get("sum_sent", {}), end.get("sum_received", {})
    # A client's sum_received is the server's count, sent back at the end of the test. A server
    # that sent (the client ran -R) reports no received bytes: there the sender's count is all
    # there is.
    server_sent = "accepted_connection" in start and start.get("test_start", {}).get("reverse")
    side, what = (sent, "sent") if server_sent else (recv, "received")
    err = j.get("error")
    ok = rc == 0 and not err and side.get("bytes", 0) > 0 and side.get("bits_per_second", 0) > 0
    mbps = side.get("bits_per_second", 0) / 1e6
    per = ""
    if streams is not None:
        key = "sender" if server_sent else "receiver"
        moved = [st.get(key, {}).get("bytes", 0) for st in end.get("streams", [])]
        n = start.get("test_start", {}).get("num_streams")
        ok = ok and n == streams and len(moved) == streams and all(moved)
        per = ", %s of %d streams (want %d, each moving bytes): %s bytes" % (
            n, len(moved), streams, "/".join(str(x) for x in moved) or "none")
    rep.check(name, ok, "%.1f Mbit/s %s, %d bytes in %.1f s, %d retransmits%s%s" % (
        mbps, what, side.get("bytes", 0), side.get("seconds", 0), sent.get("retransmits", 0), per,
        ", error: %s" % err if err else ""))
    return round(mbps, 1) if ok else None


def steps(rep, a, b):
    """The guest's step blocks: each must be there with status 0, some with more to check."""
    for name in a.steps.split(","):
        if name in MULTI_BLOCK:
            MULTI_BLOCK[name](rep, a, b)
            continue
        text, rc = b.get(name, ("", -1))
        last = [l for l in text.splitlines() if l.strip()][-3:]
        ok = rc == 0
        detail = "status %d" % rc if name in b else "no '<<< %s' block" % name
        if name == "integrity" and ok:
            want = a.blob_sha256.split(":") if a.blob_sha256 else ["?", "?"]
            g = re.search(r"^guest-sha256: ([0-9a-f]{64}) (\d+)$", text, re.M)
            h = re.search(r"^host-sha256: ([0-9a-f]{64}) (\d+)$", text, re.M)
            got = [list(m.groups()) if m else None for m in (g, h)]
            ok = got == [want, want]
            detail = "sent %s, guest received %s, host received back %s" % (
                ":".join(want), ":".join(got[0] or ["none"]), ":".join(got[1] or ["none"]))
        elif name == "mem" and ok:
            m = re.search(r"^MemTotal:\s+(\d+) kB$", text, re.M)
            c = re.search(r"^guest-cpus: (\d+)$", text, re.M)
            kb, cpus = int(m.group(1)) if m else 0, int(c.group(1)) if c else 0
            ok = kb * 1024 > (a.mem_above or 0) and (not a.cpus or cpus == a.cpus)
            detail = "MemTotal %d kB (want over %d bytes), %d CPUs (want %s)" % (
                kb, a.mem_above or 0, cpus, a.cpus or "any")
        elif name == "mtu" and ok:
            m = re.search(r"^guest-mtu: (\d+)$", text, re.M)
            ok = bool(m) and (not a.mtu or int(m.group(1)) == a.mtu)
            detail = "MTU %s (want %s), full-size pings answered" % (m.group(1) if m else "?", a.mtu)
        elif not ok and last:
            detail += ": " + " | ".join(last)
        rep.check("step " + name, ok, detail)


# --- multi-queue and the control queue (steps mq and ctrl) ------------------------------------

# virtio 1.2 §5.1.6.5.6.1: the offloads VIRTIO_NET_CTRL_GUEST_OFFLOADS may set (GUEST_CSUM,
# GUEST_TSO4/6, GUEST_ECN, GUEST_UFO, GUEST_USO4/6), and the ones Linux's rx-gro-hw turns off
# (drivers/net/virtio_net.c: GUEST_OFFLOAD_GRO_HW_MASK).
GUEST_OFFLOADS = (1 << 1) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 54) | (1 << 55)
GRO_HW = (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 54) | (1 << 55)


def tap_flags(offloads):
    """The TUNSETOFFLOAD flags minnow sets for the guest offloads (net/tap.c tap_rx_flags):
    CSUM 0x1 with GUEST_CSUM, then TSO4 0x2, TSO6 0x4, TSO_ECN 0x8 beside a TSO bit, USO4|USO6
    0x60 with both."""
    if not offloads & (1 << 1):
        return 0
    f = 0x1 | (0x2 if offloads & (1 << 7) else 0) | (0x4 if offloads & (1 << 8) else 0)
    if offloads & (1 << 9) and f & 0x6:
        f |= 0x8
    if offloads & (1 << 54) and offloads & (1 << 55):
        f |= 0x60
    return f


class Net:
    """The multi-queue and control-queue parts of minnow's net device in one metrics document:
    queue_pairs, the per-pair counters (queues entries with a "pair") and ctrl, looked up in the
    device's "net" object first, then in the device's own."""

    def __init__(self, doc):
        self.d = doc["devices"][0]
        self.n = self.d.get("net", {})

    def get(self, key):
        return self.n[key] if key in self.n else self.d[key]

    @property
    def pairs(self):
        for where in (self.n, self.d):
            q = where.get("queues")
            if isinstance(q, list) and q and all(isinstance(e, dict) and "pair" in e for e in q):
                return {e["pair"]: e for e in q}
        raise KeyError("queues (per pair)")

    @property
    def ctrl(self):
        return self.get("ctrl")

    @property
    def active(self):
        return self.get("queue_pairs")["active"]

    @property
    def tap(self):
        return self.d["tap_offloads_active"]


def count(v):
    """A MAC table's size, whether the metrics give a number or the list of addresses."""
    return len(v) if isinstance(v, list) else int(v)


def load(path):
    with open(path) as f:
        return json.load(f)


def snapshots(rep, a, title, *names):
    """The metrics snapshots NAMES (metrics-NAME.json in --snapshots), or None after a failed
    check called TITLE that says which are missing."""
    out = []
    for nm in names:
        try:
            out.append(Net(load(os.path.join(a.snapshots or ".", "metrics-%s.json" % nm))))
        except (OSError, ValueError, KeyError, IndexError) as e:
            rep.check(title, False, "no metrics snapshot %s: %s" % (nm, e))
            return None
    return out


def block_ok(rep, b, title, name):
    """A block that must be there with status 0; fails TITLE (saying why) otherwise."""
    text, rc = b.get(name, ("", -1))
    if rc == 0:
        return text
    last = [l for l in text.splitlines() if l.strip()][-3:]
    rep.check(title, False, ("block %s: status %d" % (name, rc) if name in b else
                             "no '<<< %s' block" % name) + (": " + " | ".join(last) if last else ""))
    return None


def ctrl_final(rep, a, what):
    """The final metrics' control queue: every command the driver sent succeeded; the device
    has --pairs queue pairs."""
    try:
        net = Net(load(a.metrics))
        c = net.ctrl
        errs = {k: v for k, v in c["errors"].items() if v}
        mx = net.get("queue_pairs")["max"]
        ok = (c["commands"] > 0 and c["err"] == 0 and not errs and c["ok"] == c["commands"] and
              mx == (a.pairs or 2))
        rep.check("minnow control queue (%s)" % what, ok,
                  "%d commands, %d ok, %d failed%s; %d queue pairs at most (want %d)" % (
                      c["commands"], c["ok"], c["err"],
                      " (%s)" % ", ".join("%s=%d" % kv for kv in errs.items()) if errs else "",
                      mx, a.pairs or 2))
        return net
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        rep.check("minnow control queue (%s)" % what, False, "cannot read %s: %s" % (a.metrics, e))
        return None


def judge_mq(rep, a, b):
    """Multi-queue: the driver sees --pairs combined channels; iperf3 -P 4 both ways from each
    CPU moves packets both ways on every pair; combined 1 and back under TCP load in both
    directions, which completes; the device's active pairs follow; the commands counted."""
    p = a.pairs or 2
    title = "mq channels"
    text = block_ok(rep, b, title, "mq-channels")
    if text is not None:
        cur = text.split("Current hardware settings:")
        mx = [re.search(r"^Combined:\s+(\d+)$", part, re.M) for part in cur]
        got = [int(m.group(1)) if m else None for m in mx] + [None] * (2 - len(mx))
        q = re.search(r"^guest-queues: (\d+) rx, (\d+) tx$", text, re.M)
        qs = [int(q.group(1)), int(q.group(2))] if q else None
        rep.check(title, got[:2] == [p, p] and qs == [p, p],
                  "ethtool -l: combined %s at most, %s current; sysfs queues %s (want %d each)" % (
                      got[0], got[1], "%d rx, %d tx" % tuple(qs) if qs else "?", p))

    for cpu in (0, 1):
        for d, what in (("tx", "guest to host"), ("rx", "host to guest")):
            nm = "mq-p4-%s-cpu%d" % (d, cpu)
            text, rc = b.get(nm, ("", -1))
            iperf(rep, "mq iperf3 -P 4 %s (%s) from CPU %d" % (d, what, cpu), text, rc, streams=4)

    # Bytes each way on each pair during -P 4: more than the snapshot's answer (an ARP and a ping,
    # counted in the same window) could make.
    least = 16384
    title = "mq traffic on every queue pair"
    s = snapshots(rep, a, title, "mq-start", "mq-p4")
    if s:
        try:
            s0, s1 = s[0].pairs, s[1].pairs
            keys = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")
            delta = {i: {k: s1[i][k] - s0[i][k] for k in keys} if i in s0 and i in s1 else None
                     for i in range(p)}
            qp = s[0].get("queue_pairs")
            ok = (sorted(s1) == list(range(p)) and qp["max"] == p and qp["active"] == p and
                  all(v and all(v[k] > 0 for k in keys) and v["rx_bytes"] >= least and
                      v["tx_bytes"] >= least for v in delta.values()))
            rep.check(title, ok, "queue pairs max %d, active %d (want %d); during -P 4 (want "
                      "packets and %d bytes or more each way on each pair): %s" % (
                qp["max"], qp["active"], p, least, "; ".join(
                    "pair %d: %s" % (i, ", ".join("%s +%d" % kv for kv in v.items()) if v else "missing")
                    for i, v in delta.items())))
        except (KeyError, TypeError) as e:
            rep.check(title, False, "metrics snapshot without %s" % e)

    title = "mq combined 1 and back under load"
    text = block_ok(rep, b, title, "mq-switch")
    for d in ("tx", "rx"):
        t, rc = b.get("mq-switch-" + d, ("", -1))
        iperf(rep, "mq iperf3 -P 2 %s across the switches" % d, t, rc, streams=2)
    s = snapshots(rep, a, title, "mq-p4", "mq-one", "mq-end") if text is not None else None
    if s:
        try:
            c = [x.ctrl for x in s]
            act = [x.active for x in s]
            more = [c[1]["commands"] - c[0]["commands"], c[2]["commands"] - c[1]["commands"]]
            errs = c[2]["err"] - c[0]["err"]
            ok = act == [p, 1, p] and min(more) >= 1 and errs == 0
            rep.check(title, ok, "active queue pairs %s (want %d, 1, %d); control commands +%d "
                      "for combined 1, +%d for combined %d (want 1 or more each), %d failed" % (
                          "/".join(map(str, act)), p, p, more[0], more[1], p, errs))
        except (KeyError, TypeError) as e:
            rep.check(title, False, "metrics snapshot without %s" % e)
    net = ctrl_final(rep, a, "mq")
    if net:
        try:
            pr = net.pairs
            keys = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped")
            sums = {k: sum(q[k] for q in pr.values()) for k in keys}
            diff = ["%s %d, pairs %d" % (k, net.n[k], sums[k]) for k in keys if net.n[k] != sums[k]]
            drop = ["pair %d %s=%d" % (i, k, q[k]) for i, q in sorted(pr.items())
                    for k in ("rx_dropped", "tx_dropped") if q[k]]
            rep.check("mq per-pair counters", not diff and not drop,
                      "; ".join(diff + drop) or "the %d pairs add up to the device's totals (%s), "
                      "none dropped" % (len(pr), ", ".join("%s %d" % (k, sums[k]) for k in keys[:4])))
        except (KeyError, TypeError) as e:
            rep.check("mq per-pair counters", False, "metrics without %s" % e)


def judge_ctrl(rep, a, b):
    """The control queue: rx-gro-hw off and on changes the guest offloads and with them the tap's;
    promisc and allmulticast on and off; the multicast table; a new MAC in the device, the host's
    neighbour table and on the wire."""
    net = ctrl_final(rep, a, "ctrl")
    neg = net.d["transport"]["negotiated"] if net else 0

    # TCP from the host while rx-gro-hw is off (between the off and on snapshots) comes without
    # a super-frame; after on (until ctrl-promisc) with them again.
    title = "ctrl rx-gro-hw off and on"
    s = snapshots(rep, a, title, "ctrl-start", "ctrl-gro-hw-off", "ctrl-gro-hw-on",
                  "ctrl-promisc") if block_ok(rep, b, title, "ctrl-gro-hw") is not None else None
    if s:
        try:
            want = neg & GUEST_OFFLOADS
            g = [x.ctrl["guest_offloads"] for x in s[:3]]
            t = [x.tap for x in s[:3]]
            wg = [want, want & ~GRO_HW, want]
            wt = [tap_flags(w) for w in wg]
            off_bytes = s[2].n["rx_bytes"] - s[1].n["rx_bytes"]
            off_gso = s[2].n["rx_gso"] - s[1].n["rx_gso"]
            on_gso = s[3].n["rx_gso"] - s[2].n["rx_gso"]
            ok = (want & GRO_HW and g == wg and t == wt and t[1] != t[0] and
                  off_bytes >= 65536 and off_gso == 0 and on_gso > 0)
            rep.check(title, ok, "guest offloads %s (want %s), tap offloads %s (want %s); from the "
                      "host while off %d bytes (want 64 KiB or more) in %d super-frames (want 0), "
                      "after on %d super-frames (want some)" % (
                          "/".join("0x%x" % v for v in g), "/".join("0x%x" % v for v in wg),
                          "/".join("0x%x" % v for v in t), "/".join("0x%x" % v for v in wt),
                          off_bytes, off_gso, on_gso))
        except (KeyError, TypeError) as e:
            rep.check(title, False, "metrics snapshot without %s" % e)

    title = "ctrl promisc and allmulticast"
    text = block_ok(rep, b, title, "ctrl-rx-mode")
    s = snapshots(rep, a, title, "ctrl-promisc", "ctrl-nopromisc") if text is not None else None
    if s:
        try:
            m = re.search(r"^guest-multicast: (\d+)$", text, re.M)
            mc = int(m.group(1)) if m else None
            modes = [(x.ctrl["promisc"], x.ctrl["allmulti"]) for x in s]
            tab = s[1].ctrl["mac_table"]
            uc, mt = count(tab["unicast"]), count(tab["multicast"])
            ok = modes == [(True, True), (False, False)] and mc is not None and mt == mc and uc == 0
            rep.check(title, ok, "promisc/allmulti %s on, %s off (want true/true, false/false); MAC "
                      "table %d unicast (want 0), %d multicast (want the guest's %s)" % (
                          "/".join(map(json.dumps, modes[0])), "/".join(map(json.dumps, modes[1])),
                          uc, mt, mc))
        except (KeyError, TypeError, ValueError) as e:
            rep.check(title, False, "metrics snapshot without %s" % e)

    title = "ctrl new MAC"
    text = block_ok(rep, b, title, "ctrl-mac")
    s = snapshots(rep, a, title, "ctrl-mac") if text is not None else None
    if s:
        m = re.search(r"^guest-mac: ([0-9a-f:]{17})$", text, re.M)
        mac = m.group(1) if m else None
        try:
            dev = s[0].ctrl["mac"].lower()
        except (KeyError, TypeError, AttributeError) as e:
            dev = "none (%s)" % e
        try:
            h = re.search(r"\blladdr ([0-9a-f:]{17})\b", open(a.host_neigh).read())
            host = h.group(1) if h else "none"
        except (OSError, TypeError) as e:
            host = "unread (%s)" % e
        rep.check(title, mac is not None and dev == mac and host == mac,
                  "the guest set %s; the device says %s, the host's neighbour entry %s; pings and "
                  "TCP both ways with it" % (mac, dev, host))


MULTI_BLOCK = {"mq": judge_mq, "ctrl": judge_ctrl}


def pcap(rep, path):
    """minnow's capture, read by tshark and by tcpdump: records in both directions, every one
    annotated with its virtio-net header, and TSO super-frames among what the guest sent."""
    try:
        t = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.len",
                            "-e", "frame.comment"], capture_output=True, text=True, timeout=120)
        d = subprocess.run(["tcpdump", "-r", path, "-n", "-c", "1000000"], capture_output=True,
                           text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        rep.check("pcap", False, "cannot run tshark or tcpdump: %s" % e)
        return
    recs = [l.split("\t", 1) for l in t.stdout.splitlines() if l]
    tx = [c for _, c in recs if c.startswith("tx ")]
    rx = [c for _, c in recs if c.startswith("rx ")]
    gso = [c for c in tx if re.search(r"gso_type=[1-9]", c)]
    plain = [c for c in recs if "flags=" not in c[1]]
    tcpdump_n = len([l for l in d.stdout.splitlines() if l.strip()])
    ok = (t.returncode == 0 and d.returncode == 0 and tx and rx and gso and not plain and
          tcpdump_n == len(recs))
    rep.check("pcap", ok, "tshark: %d records (%d tx, %d rx, %d tx super-frames, %d without a "
              "header); tcpdump: %d packets%s" % (
                  len(recs), len(tx), len(rx), len(gso), len(plain), tcpdump_n,
                  "; " + (t.stderr + d.stderr).strip()[-200:] if t.returncode or d.returncode else ""))


def junit(r, path, name):
    """The checks as JUnit XML: one testsuite, one testcase per check, a failure with its detail."""
    failed = [c for c in r["checks"] if not c["ok"]]
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<testsuite name=%s tests="%d" failures="%d" time=%s>\n' % (
            quoteattr(name), len(r["checks"]), len(failed), quoteattr(str(r.get("seconds", 0)))))
        for c in r["checks"]:
            f.write('  <testcase classname=%s name=%s>' % (quoteattr(name), quoteattr(c["name"])))
            if not c["ok"]:
                f.write('<failure message=%s/>' % quoteattr(c["detail"]))
            else:
                f.write('<system-out>%s</system-out>' % escape(c["detail"]))
            f.write('</testcase>\n')
        f.write('</testsuite>\n')


def judge(a):
    rep = Report(a.vmm)
    r = rep.r
    log = open(a.serial, errors="replace").read().replace("\r", "")
    b = blocks(log)

    m = END.search(log)
    rep.check("guest end marker", m and m.group(1) == "0",
              "status %s" % m.group(1) if m else "no '=== guest end' line (guest did not finish)")
    for line in log.splitlines():
        if line.startswith("guest: FAILED"):
            print("    " + line)

    if a.features is not None:
        features(rep, a, log, b)
    r["throughput_mbps"] = {}
    for d in filter(None, a.dirs.split(",")):
        text, rc = b.get("iperf3-" + d, ("", -1))
        what = "guest to host" if d == "tx" else "host to guest"
        r["throughput_mbps"][d] = iperf(rep, "iperf3 %s (%s)" % (d, what), text, rc)
    if a.steps:
        steps(rep, a, b)
    if a.frames:
        frames(rep, a)
    if a.pcap:
        pcap(rep, a.pcap)
    if a.gdb_out:
        try:
            last = open(a.gdb_out).read().strip().splitlines()[-1:] or ["(empty)"]
        except OSError as e:
            last = ["cannot read %s: %s" % (a.gdb_out, e)]
        rep.check("gdb stub on the kernel", last[0].startswith("gdb: ok: "), last[0])
    if a.metrics:
        metrics(rep, a)

    r["exit_status"] = a.exit
    rep.check("%s exit status" % a.vmm, a.exit == a.want_exit, "%d (want %d)" % (a.exit, a.want_exit))

    failed = [c["name"] for c in r["checks"] if not c["ok"]]
    r["result"] = "fail" if failed else "pass"
    r["seconds"] = a.seconds
    tp = r["throughput_mbps"]
    print("summary: %s on %s in %s s: %d checks, %d failed%s%s" % (
        r["result"].upper(), a.vmm, a.seconds, len(r["checks"]), len(failed),
        " (%s)" % ", ".join(failed) if failed else "",
        "; throughput " + ", ".join("%s %s Mbit/s" % (k, v) for k, v in tp.items()) if tp else ""))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")
    if a.junit:
        junit(r, a.junit, a.name or "linux-boot-" + a.vmm)
    return 1 if failed else 0


def features(rep, a, log, b):
    """The features the driver negotiated, and what `ethtool -k` says of the offloads."""
    r = rep.r
    # Negotiated features: the driver's bit string, bit 0 first.
    fm = re.search(r"^guest-features: (\S+) ([01]+)$", log, re.M)
    bits = {i for i, c in enumerate(fm.group(2)) if c == "1"} if fm else set()
    names = [FEATURES.get(i, "bit%d" % i) for i in sorted(bits)]
    r["features"] = names
    missing = [f for f in a.features.split(",") if f and f not in names]
    rep.check("negotiated features", fm and not missing,
              ("missing %s; " % ",".join(missing) if missing else "") +
              ("negotiated %s" % " ".join(names) if fm else "no guest-features line"))

    text, rc = b.get("ethtool-k", ("", -1))
    eth = dict(re.findall(r"^\s*([a-z0-9-]+): (on|off)", text, re.M))
    off = [k for k in ETHTOOL_ON if eth.get(k) != "on"]
    r["ethtool_k"] = {k: eth.get(k) for k in ETHTOOL_ON}
    rep.check("ethtool -k", rc == 0 and not off,
              "not on: %s" % ",".join(off) if off else " ".join("%s=on" % k for k in ETHTOOL_ON))


def frames(rep, a):
    """Frames longer than the MTU on the tap: super-frames that crossed it whole."""
    r = rep.r
    try:
        fr = json.load(open(a.frames))
    except (OSError, ValueError) as e:
        fr = None
        rep.check("frames over the MTU", False, "no frame counts: %s" % e)
    if fr:
        r["frames"] = fr
        for key, feat, d in (("guest_to_host", "HOST_TSO4", "tx"), ("host_to_guest", "GUEST_TSO4", "rx")):
            if d not in a.dirs.split(","):
                continue
            c = fr[key]
            rep.check("%s super-frames (%s)" % (key.replace("_", " "), feat), c["over_mtu"] > 0,
                      "%d of %d frames longer than MTU %d + 14, longest %d bytes" % (
                          c["over_mtu"], c["frames"], fr["mtu"], c["max_len"]))


def metrics(rep, a):
    """minnow's counters: no drops, no errors, broken queues or refused chains, the offloads used,
    and the verifier's verdict when it ran."""
    try:
        mt = json.load(open(a.metrics))
        d = mt["devices"][0]
        bad = ["%s=%d" % kv for kv in list(d["net"]["drops"].items()) +
               list(d["net"]["tx_offload_errors"].items()) +
               list(d["transport"]["driver_errors"].items()) if kv[1]]
        bad += ["queue %d: broken %s, %d bad chains" % (i, q["broken"], q["bad_chains"]["total"])
                for i, q in enumerate(d["queues"])
                if q["broken"] != "no" or q["bad_chains"]["total"]]
        rep.check("minnow counters", not bad, "; ".join(bad) or "no drops, no offload or driver errors")
        # minnow's own count of the offloads that the tap counts as super-frames.
        n, dirs = d["net"], a.dirs.split(",")
        want = [k for k, dr in (("tx_tso", "tx"), ("tx_csum", "tx"), ("rx_gso", "rx")) if dr in dirs]
        if want:
            rep.check("minnow offload counters", all(n[k] > 0 for k in want),
                      ", ".join("%s=%d" % (k, n[k]) for k in want))
        # What the driver negotiated, kept after it reset the device at power-off.
        t = d["transport"]
        rep.check("minnow negotiated features", t["negotiated"] and t["driver_ok"] > 0,
                  "negotiated 0x%x at the last of %d DRIVER_OKs; tap offloads then 0x%x" % (
                      t["negotiated"], t["driver_ok"], d["tap_offloads_active"]))
        if n["verify_frames"]:
            rep.check("offload verifier", n["verify_bad"] == 0,
                      "%d of %d frames the verifier checked were wrong" % (
                          n["verify_bad"], n["verify_frames"]))
    except (OSError, ValueError, KeyError, IndexError) as e:
        rep.check("minnow counters", False, "cannot read %s: %s" % (a.metrics, e))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vmm", required=True)
    p.add_argument("--serial", required=True)
    p.add_argument("--frames")
    p.add_argument("--exit", type=int, required=True)
    p.add_argument("--want-exit", type=int, required=True)
    p.add_argument("--features", help="comma-separated names that must be negotiated")
    p.add_argument("--dirs", default="tx,rx")
    p.add_argument("--metrics")
    p.add_argument("--seconds", default="?")
    p.add_argument("--json")
    p.add_argument("--junit")
    p.add_argument("--name")
    p.add_argument("--steps", default="")
    p.add_argument("--blob-sha256")
    p.add_argument("--mem-above", type=int)
    p.add_argument("--cpus", type=int)
    p.add_argument("--mtu", type=int)
    p.add_argument("--pcap")
    p.add_argument("--pairs", type=int, help="queue pairs the mq step expects (default 2)")
    p.add_argument("--snapshots", help="folder of the metrics snapshots (metrics-NAME.json)")
    p.add_argument("--host-neigh", help="the host's `ip neigh` line for the guest (ctrl)")
    p.add_argument("--gdb-out", help="gdbkernel.py's output; its last line is the verdict")
    return judge(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
