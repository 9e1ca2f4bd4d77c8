# SPDX-License-Identifier: MIT
"""Turns bench/run.sh's raw per-run files into bench/RESULTS.md: per-round numbers, medians,
ratios against QEMU and against the host-only limit, and DESIGN §9's targets.

usage: report.py RAW_DIR META.json OUT.md
"""
import glob
import json
import os
import re
import statistics
import sys

RAW, META, OUT = sys.argv[1:4]
meta = json.load(open(META))
ROUNDS = int(meta["rounds"])
VMM_VARIANTS = ["minnow-uring", "minnow-sync", "qemu"]
ALL_VARIANTS = VMM_VARIANTS + ["host-only"]
LABEL = {"minnow-uring": "minnow io_uring", "minnow-sync": "minnow readv/writev",
         "qemu": "QEMU microvm", "host-only": "host-only", "minnow": "minnow"}
KVMTOOL_MS = 37.0  # DESIGN §1: kvmtool start-up + teardown for a trivial guest


def last_json(path, prefix="{"):
    try:
        lines = [l for l in open(path, errors="replace") if l.startswith(prefix)]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def read(path):
    try:
        return open(path, errors="replace").read().strip()
    except OSError:
        return ""


class Run:
    """One run: the device side (guest or host-only program), its peer, its cost."""

    def __init__(self, base, want):
        self.base = base
        self.rc = int(read(base + ".rc") or -1)
        self.time = last_json(base + ".time") or {}
        self.guest = last_json(base + ".out")
        self.peer = last_json(base + ".peer")
        self.metrics = None
        if os.path.exists(base + ".metrics"):
            try:
                self.metrics = json.load(open(base + ".metrics"))
            except ValueError:
                pass
        self.error = None
        if self.rc != want:
            self.error = "exit %d (want %d)" % (self.rc, want)
        elif self.guest is None:
            self.error = "no report line"
        elif "error" in self.guest:
            self.error = "guest error: %s" % self.guest["error"]
        if self.error:
            tail = (read(base + ".out") + "\n" + read(base + ".err")).strip()[-400:]
            self.error += ": " + tail.replace("\n", " | ")

    @property
    def cpu(self):
        return self.time.get("user_s", 0) + self.time.get("sys_s", 0)


def want_of(variant):
    return 1 if variant == "qemu" else 0


def runs(bench, variant):
    out = []
    for r in range(1, ROUNDS + 1):
        base = os.path.join(RAW, "%s.%s.%d" % (bench, variant, r))
        if os.path.exists(base + ".rc"):
            out.append((r, Run(base, want_of(variant))))
    return out


def boot_runs(name, variant):
    out = []
    for r in range(1, ROUNDS + 1):
        for f in sorted(glob.glob(os.path.join(RAW, "%s.%s.%d.*.rc" % (name, variant, r)))):
            out.append((r, Run(f[:-3], want_of(variant))))
    return out


failures = []


def values(rs, fn):
    """Per-round values of fn(run) for the runs that worked; failures are collected."""
    vals = []
    for r, run in rs:
        if run.error:
            failures.append("%s (round %d): %s" % (os.path.basename(run.base), r, run.error))
            continue
        try:
            v = fn(run)
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        if v is not None:
            vals.append((r, v))
    return vals


ROUND_FILTER = None  # a set of rounds: medians over those only


def med(vals):
    vals = [v for r, v in vals if ROUND_FILTER is None or r in ROUND_FILTER]
    return statistics.median(vals) if vals else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


def ratio(a, b):
    return a / b if a is not None and b else None


def fr(x):
    return "–" if x is None else "%.2f×" % x


def spread(vals):
    """(max - min) / median, in percent: how much the rounds disagree."""
    if len(vals) < 2:
        return None
    m = med(vals)
    return (max(v for _, v in vals) - min(v for _, v in vals)) / m * 100 if m else None


# --- the metrics of each benchmark ----------------------------------------------------------
def guest_rate(run, key_count):
    g = run.guest
    return g["bytes"] * 8 / g["us"], g[key_count] / g["us"] * 1e6  # Mbit/s, packets/s


def tx_metrics(run, variant):
    """receiver Mbit/s, receiver pps, sender-side Mbit/s, sender-side pps, delivered fraction."""
    p = run.peer
    if variant == "host-only":
        g = run.guest
        sent, mbps, pps = g["sent"], g["mbps"], g["pps"]
    else:
        mbps, pps = guest_rate(run, "sent")
        sent = run.guest["sent"]
    return dict(recv_mbps=p["mbps"], recv_pps=p["pps"], send_mbps=mbps, send_pps=pps,
                delivered=p["received"] / sent, rcvbuf_errors=p.get("rcvbuf_errors", 0))


def rx_metrics(run, variant):
    g = run.guest
    if variant == "host-only":
        mbps, pps = g["mbps"], g["pps"]
    else:
        mbps, pps = guest_rate(run, "received")
    return dict(mbps=mbps, pps=pps, blast_pps=run.peer["pps"] if run.peer else None,
                dropped=run.peer.get("tap_dropped") if run.peer else None)


def payload_gb(run, variant, bench):
    """UDP or TCP payload of a run, in GB (10^9 bytes)."""
    if bench == "tso":
        g = run.guest
        return (g["sent"] * 1472 if variant == "host-only" else g["bytes"]) / 1e9
    size, count = sizes[bench]
    return size * count / 1e9


out = []
w = out.append
summary = []  # (metric, uring, sync, qemu, host, r_qemu, r_host)

# --- header ---------------------------------------------------------------------------------
loads = {}
for r in list(range(1, ROUNDS + 1)) + ["all", "pre"]:
    parts = read(os.path.join(RAW, "load.%s" % r)).split()
    if len(parts) == 4:
        loads[r] = [float(x) for x in parts]
nproc = int(meta["nproc"])
load_start1 = float(meta["load_start"].split()[0])
busy_notes = []
if "pre" in loads and loads["pre"][1] > 0.2 * loads["pre"][3] * nproc:
    busy_notes.append("in the 2 s before the first run other processes kept %.0f%% of the "
                      "machine busy (1-minute load average %.2f on %d cores)" %
                      (loads["pre"][1] / (loads["pre"][3] * nproc) * 100, load_start1, nproc))
elif "pre" not in loads and load_start1 >= nproc:
    busy_notes.append("the 1-minute load average was %.2f on %d cores before the first run" %
                      (load_start1, nproc))
if "all" in loads:
    l1, foreign, steal, wall = loads["all"]
    if foreign > 0.10 * wall * nproc:
        busy_notes.append("other processes used ~%.0f%% of the machine's CPU time during the "
                          "run (%.1f s of %.1f s × %d cores)" %
                          (foreign / (wall * nproc) * 100, foreign, wall, nproc))
    if steal > 0.01 * wall * nproc:
        busy_notes.append("the hypervisor stole %.1f s of CPU time" % steal)

w("# minnow benchmarks")
w("")
w("Written by `bench/run.sh` (DESIGN §9). Benchmarks, not tests: nothing here is asserted.")
w("")
w("| | |")
w("|---|---|")
for k, label in [("date", "date"), ("command", "command"), ("commit", "minnow commit"),
                 ("minnow", "minnow"), ("minnow_bin", "minnow binary (copied to $DIR/minnow)"),
                 ("probe_bin", "probe guest (copied to $DIR/probe.elf)"), ("qemu", "QEMU"),
                 ("gcc", "host programs built with")]:
    w("| %s | `%s` |" % (label, meta[k]))
w("| machine | %s cores (%s), kernel %s, /sys/module/kvm_pvm %s |" %
  (meta["nproc"], meta["cpu"], meta["kernel"],
   "present (kvm-pvm: guest CPL 3 native, CPL 0 emulated)" if meta["kvm_pvm"] == "yes"
   else "absent"))
w("| load average (1, 5, 15 min) | at start %s; at end %s |" % (meta["load_start"], meta["load_end"]))
w("| rounds | %s, the order of the variants reversed every other round |" % meta["rounds"])
w("")
if busy_notes:
    w("**HIGH LOAD: the numbers below are noisy.** This run saw: " + "; ".join(busy_notes) + ". "
      "Re-run on a quiet machine before trusting small differences.")
else:
    w("No high load was detected (other processes under 20% of the machine in the 2 s before the "
      "first run, 1-minute load average below the number of cores then, and under 10% of the "
      "machine's CPU time during the run).")
w("")
w("The machine has %s cores, and every networked run keeps more than two threads busy: the "
  "guest polls its rings at CPL 3 (one host thread at 100%%), the VMM's I/O thread (minnow) "
  "or main loop (QEMU) moves the frames, and the host peer sends or receives. The numbers are "
  "what this machine does with that contention, for every variant alike." % meta["nproc"])
w("")

# --- boot -----------------------------------------------------------------------------------
boot = {v: boot_runs("boot", v) for v in ("minnow", "qemu")}
boot_ms = {v: values(boot[v], lambda run: run.time["wall_s"] * 1000) for v in boot}
boot_cpu = {v: values(boot[v], lambda run: run.cpu * 1000) for v in boot}
boot_rss = {v: values(boot[v], lambda run: run.time["maxrss_kib"] / 1024) for v in boot}
boot_exit_ms = {v: values(boot_runs("boot-exit", v), lambda run: run.time["wall_s"] * 1000)
                for v in boot}

# --- traffic --------------------------------------------------------------------------------
def tso_metrics(run, variant):
    g, p = run.guest, run.peer
    if variant == "host-only":
        return dict(recv_mbps=p["mbps"], send_mbps=g["mbps"], delivered=p["received"] / g["sent"])
    return dict(recv_mbps=p["mbps"], send_mbps=g["bytes"] * 8 / g["us"],
                delivered=p["received"] / g["bytes"], retransmits=g.get("retransmits"),
                tso_frames=g.get("tso_frames"))


sizes = {"tx1472": (1472, int(meta["tx_count"])), "tx64": (18, int(meta["tx64_count"])),
         "rx1472": (1472, int(meta["rx_count"])), "rx64": (18, int(meta["rx64_count"]))}
TSO = meta.get("tso") == "yes"
if TSO:
    sizes["tso"] = (1, int(meta["tso_bytes"]))
res = {}
for bench in sizes:
    for v in ALL_VARIANTS:
        rs = runs(bench, v)
        fn = {"tx": tx_metrics, "rx": rx_metrics, "ts": tso_metrics}[bench[:2]]
        res[bench, v] = values(rs, lambda run, v=v: fn(run, v))
        res[bench, v, "cpu"] = values(rs, lambda run, v=v, b=bench: run.cpu / payload_gb(
            run, v, b))
        res[bench, v, "cpu_s"] = values(rs, lambda run: run.cpu)
base_cpu = {v: med(values(runs("base", v), lambda run: run.cpu)) for v in VMM_VARIANTS}
echo = {v: values(runs("echo", v), lambda run: run.peer) for v in VMM_VARIANTS}


def pick(bench, v, key):
    return [(r, d[key]) for r, d in res.get((bench, v), []) if d.get(key) is not None]


def marginal_cpu_per_gb(bench, v):
    """(median CPU of the traffic runs - median CPU of a one-datagram run) per GB."""
    if v == "host-only":  # its start-up is a few system calls
        return med(res[bench, v, "cpu"])
    cpu = med(res[bench, v, "cpu_s"])
    gb = sizes[bench][0] * sizes[bench][1] / 1e9
    if cpu is None:
        return None
    return (cpu - base_cpu[v]) / gb if base_cpu.get(v) is not None else None


def row(bench, key):
    """The median of KEY for every variant."""
    return {v: med(pick(bench, v, key)) for v in ALL_VARIANTS}


def row_spreads(bench, key):
    """The spread of KEY over the rounds, for the VMM variants."""
    return [spread(pick(bench, v, key)) for v in VMM_VARIANTS]


def trow(name, bench, key, digits=0):
    """A summary row of a traffic benchmark's KEY, with its spreads."""
    return srow(name, row(bench, key), digits, spreads=row_spreads(bench, key))


# --- summary table --------------------------------------------------------------------------
w("## Summary (medians over the rounds)")
w("")
w("Mbit/s count UDP payload bits. \"64-byte\" frames carry 18-byte UDP payloads (14 + 20 + 8 + "
  "18 = 60 bytes, 64 on a wire with the FCS). Ratios are minnow io_uring over the other column; "
  "for RTT and CPU, lower is better.")
w("")


def summary_head():
    w("| metric | minnow io_uring | minnow readv/writev | QEMU | host-only | io_uring / QEMU | "
      "readv / QEMU | io_uring / host-only | io_uring / readv | resolved? |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")


RESOLVED_SPREAD = 10.0  # percent: a row whose rounds disagree more than this is not a result


def resolved(spreads):
    """'yes' when every VMM variant's rounds agree within RESOLVED_SPREAD, else the worst."""
    known = [x for x in spreads if x is not None]
    if not known:
        return "–"
    worst = max(known)
    return "yes" if worst <= RESOLVED_SPREAD else "**no** (spread %.0f%%)" % worst


def srow(name, m, digits=0, host=True, spreads=()):
    u, s, q, h = (m.get(v) for v in ALL_VARIANTS)
    w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        name, fmt(u, digits), fmt(s, digits), fmt(q, digits), fmt(h, digits) if host else "n/a",
        fr(ratio(u, q)), fr(ratio(s, q)), fr(ratio(u, h)) if host else "n/a", fr(ratio(u, s)),
        resolved(spreads)))
    return m


def summary_rows():
    """The summary table's rows (under the header); returns the medians by metric."""
    S = {}
    bm, bq = med(boot_ms["minnow"]), med(boot_ms["qemu"])
    w("| probe boot to exit, hello (ms, whole VMM process) | %s | (same binary) | %s | n/a | %s | "
      "– | n/a | – | – |" % (fmt(bm, 1), fmt(bq, 1), fr(ratio(bm, bq))))
    bem, beq = med(boot_exit_ms["minnow"]), med(boot_exit_ms["qemu"])
    w("| probe boot to exit, `exit` mode: less serial output (ms) | %s | (same binary) | %s | n/a | "
      "%s | – | n/a | – | – |" % (fmt(bem, 1), fmt(beq, 1), fr(ratio(bem, beq))))
    rows = [("tso_recv", "TX TCP, TSO (probe net-tcp-tx): receiver Mbit/s (host-only: UDP-GSO)",
             "tso", "recv_mbps"),
            ("tso_send", "TX TCP, TSO: guest-reported Mbit/s (host-only: writer)", "tso",
             "send_mbps")] if TSO else []
    rows += [
        ("tx_mbps", "TX 1472 B, CSUM offload: receiver Mbit/s", "tx1472", "recv_mbps"),
        ("tx_send_mbps", "TX 1472 B: guest-reported Mbit/s (host-only: writer)", "tx1472",
         "send_mbps"),
        ("tx64_pps", "TX 64-byte frames: receiver packets/s", "tx64", "recv_pps"),
        ("tx64_send_pps", "TX 64-byte frames: guest-side packets/s (host-only: writer)", "tx64",
         "send_pps"),
        ("rx_mbps", "RX 1472 B, GUEST_CSUM: guest Mbit/s (host-only: tap reader)", "rx1472",
         "mbps"),
        ("rx_pps", "RX 1472 B: guest packets/s", "rx1472", "pps"),
        ("rx64_pps", "RX 64-byte frames: guest packets/s (host-only: tap reader)", "rx64", "pps"),
    ]
    for key, name, bench, metric in rows:
        S[key] = trow(name, bench, metric)
    ev = {v: med([(r, e["rtt_us_median"]) for r, e in echo[v]]) for v in VMM_VARIANTS}
    ep = {v: med([(r, e["rtt_us_p99"]) for r, e in echo[v]]) for v in VMM_VARIANTS}
    S["rtt"] = srow("echo RTT median (µs), 64 B, polled guest", ev, 1, host=False)
    S["rtt99"] = srow("echo RTT p99 (µs)", ep, 1, host=False)
    for bench, name in (("tx1472", "TX 1472"), ("rx1472", "RX 1472")) + ((("tso", "TX TSO"),) if TSO else ()):
        S[bench + "_cpu"] = srow("host CPU s per GB, %s, whole process" % name,
                                 {v: med(res[bench, v, "cpu"]) for v in ALL_VARIANTS}, 2,
                                 spreads=[spread(res[bench, v, "cpu"]) for v in VMM_VARIANTS])
        S[bench + "_mcpu"] = srow("host CPU s per GB, %s, less a 1-datagram run's CPU" % name,
                                  {v: marginal_cpu_per_gb(bench, v) for v in ALL_VARIANTS}, 2)
    S["boot"] = {"minnow": bm, "qemu": bq}
    return S


summary_head()
S = summary_rows()
w("")
w("host-only: TX is `tap_push` writing the same frames (virtio_net_hdr with NEEDS_CSUM) into the "
  "same tap, one writev each, to the same receiver; RX is `tap_pull` reading the same tap "
  "(TUN_F_CSUM, as minnow sets it for a GUEST_CSUM guest) from the same sender. Its CPU is that "
  "one program's; a VMM's CPU includes the guest's polling vCPU thread.")
w("")

# --- targets --------------------------------------------------------------------------------
w("## DESIGN §9 targets: where we stand")
w("")
if busy_notes:
    w("Under the high load noted above, every status here is tentative: a ratio near its "
      "target can move either way on a quiet machine.")
    w("")
w("| target | measured (ratio in this run) | status |")
w("|---|---|---|")


def status(x, goal, higher=True):
    if x is None:
        return "not measured"
    return "met" if (x >= goal if higher else x <= goal) else "**not met**"


tcp = "net-tcp-tx" in meta.get("probe_modes", "")
rq = ratio(S["tx_mbps"].get("minnow-uring"), S["tx_mbps"].get("qemu"))
rh = ratio(S["tx_mbps"].get("minnow-uring"), S["tx_mbps"].get("host-only"))
if TSO:
    tq = ratio(S["tso_recv"].get("minnow-uring"), S["tso_recv"].get("qemu"))
    th = ratio(S["tso_recv"].get("minnow-uring"), S["tso_recv"].get("host-only"))
    w("| TX with TSO ≥ 1.5× QEMU and ≥ 0.8× host-only | TCP with TSO (probe net-tcp-tx, 64 KiB "
      "super-frames) at the receiver: %s QEMU, %s host-only (UDP-GSO super-frames: no host-only "
      "TCP sender exists, so this limit is approximate) | vs QEMU %s, vs host-only %s |" %
      (fr(tq), fr(th), status(tq, 1.5), status(th, 0.8)))
elif tcp:
    w("| TX with TSO ≥ 1.5× QEMU and ≥ 0.8× host-only | the probe has `net-tcp-tx`, but this "
      "run did not measure it | not measured |")
else:
    w("| TX with TSO ≥ 1.5× QEMU and ≥ 0.8× host-only | not measurable: the probe guest has no "
      "TCP mode (`probe.mode=net-tcp-tx` is not in this probe.elf). Stand-in, UDP 1472 B with "
      "CSUM offload (no TSO): %s QEMU, %s host-only | not measured |" % (fr(rq), fr(rh)))
r = ratio(S["rx_mbps"].get("minnow-uring"), S["rx_mbps"].get("qemu"))
w("| RX ≥ 1.5× QEMU | UDP 1472 B: %s | %s |" % (fr(r), status(r, 1.5)))
r = ratio(S["tx64_pps"].get("minnow-uring"), S["tx64_pps"].get("qemu"))
r2 = ratio(S["rx64_pps"].get("minnow-uring"), S["rx64_pps"].get("qemu"))
w("| 64-byte packet rate ≥ 2× QEMU | TX %s, RX %s | TX %s, RX %s |" %
  (fr(r), fr(r2), status(r, 2), status(r2, 2)))
for bench, name in (("tx1472", "TX"), ("rx1472", "RX")) + ((("tso", "TX TSO"),) if TSO else ()):
    r = ratio(S[bench + "_cpu"].get("minnow-uring"), S[bench + "_cpu"].get("qemu"))
    rm = ratio(S[bench + "_mcpu"].get("minnow-uring"), S[bench + "_mcpu"].get("qemu"))
    w("| host CPU per GB ≤ 0.5× QEMU (%s) | whole process %s; less start-up %s | %s |" %
      (name if bench == "tso" else name + " 1472 B", fr(r), fr(rm), status(rm, 0.5, higher=False)))
bm, bq = S["boot"]["minnow"], S["boot"]["qemu"]
w("| start-up + teardown ≤ 0.5× kvmtool's 37 ms (≤ 18.5 ms) | minnow %s ms (QEMU %s ms, "
  "minnow/QEMU %s) | %s |" % (fmt(bm, 1), fmt(bq, 1), fr(ratio(bm, bq)),
                              status(bm, KVMTOOL_MS / 2, higher=False)))
rss = med(boot_rss["minnow"])
w("| minnow's own memory ≤ 8 MiB | peak RSS of a whole hello run %s MiB (an upper bound: it "
  "includes the guest RAM the probe touched; QEMU %s MiB) | %s |" %
  (fmt(rss, 1), fmt(med(boot_rss["qemu"]), 1), status(rss, 8, higher=False)))
w("")
w("kvmtool: %s." % meta["kvmtool"])
w("")

# --- the quiet rounds alone -----------------------------------------------------------------
QUIET_SHARE = 0.20  # other processes' share of the machine's CPU time in a quiet round
quiet = sorted(r for r in range(1, ROUNDS + 1)
               if r in loads and loads[r][1] < QUIET_SHARE * loads[r][3] * nproc)
if 2 <= len(quiet) < ROUNDS:
    w("## Summary over the quiet rounds only (rounds %s)" % ", ".join(map(str, quiet)))
    w("")
    w("In the other rounds processes other than the benchmark's used %.0f%% or more of the "
      "machine's CPU time (see \"Load per round\" below). The same medians, over the quiet rounds:"
      % (QUIET_SHARE * 100))
    w("")
    summary_head()
    ROUND_FILTER = set(quiet)
    summary_rows()
    ROUND_FILTER = None
    w("")

# --- per round ------------------------------------------------------------------------------
w("## Per round")
w("")
w("A blank cell is a failed run (listed at the end). Spread = (max − min) / median.")
w("")


def table(title, series, digits=0):
    """series: list of (label, [(round, value)])"""
    w("**%s**" % title)
    w("")
    w("| round | " + " | ".join(l for l, _ in series) + " |")
    w("|---|" + "---:|" * len(series))
    for r in range(1, ROUNDS + 1):
        cells = []
        for _, vals in series:
            vs = [v for rr, v in vals if rr == r]
            cells.append(" / ".join(fmt(v, digits) for v in vs) if vs else "")
        w("| %d | %s |" % (r, " | ".join(cells)))
    w("| median | " + " | ".join(fmt(med(vals), digits) for _, vals in series) + " |")
    w("| spread | " + " | ".join(
        ("%.0f%%" % spread(vals)) if spread(vals) is not None else "–" for _, vals in series) +
      " |")
    w("")


table("Boot to exit, hello mode (ms of wall time; %s per VMM per round)" % meta["boots"],
      [(LABEL[v], boot_ms[v]) for v in ("minnow", "qemu")], 1)
table("Boot to exit, `exit` mode (ms of wall time)",
      [(LABEL[v], boot_exit_ms[v]) for v in ("minnow", "qemu")], 1)
table("Boot to exit, hello: CPU ms (user + sys) and peak RSS MiB",
      [("minnow CPU", boot_cpu["minnow"]), ("QEMU CPU", boot_cpu["qemu"]),
       ("minnow RSS", boot_rss["minnow"]), ("QEMU RSS", boot_rss["qemu"])], 1)
for bench, what in (("tx1472", "TX, %d datagrams of 1472 B" % sizes["tx1472"][1]),
                    ("tx64", "TX, %d datagrams of 18 B (64-byte frames)" % sizes["tx64"][1])):
    key = "recv_mbps" if bench == "tx1472" else "recv_pps"
    unit = "Mbit/s" if bench == "tx1472" else "packets/s"
    table("%s: receiver %s (udp_sink, kernel arrival stamps)" % (what, unit),
          [(LABEL[v], pick(bench, v, key)) for v in ALL_VARIANTS])
    key = "send_mbps" if bench == "tx1472" else "send_pps"
    table("%s: guest-reported %s (host-only: tap_push's own rate)" % (what, unit),
          [(LABEL[v], pick(bench, v, key)) for v in ALL_VARIANTS])
    table("%s: fraction the receiver got" % what,
          [(LABEL[v], pick(bench, v, "delivered")) for v in ALL_VARIANTS], 3)
for bench, what in (("rx1472", "RX, %d datagrams of 1472 B" % sizes["rx1472"][1]),
                    ("rx64", "RX, %d datagrams of 18 B (64-byte frames)" % sizes["rx64"][1])):
    key = "mbps" if bench == "rx1472" else "pps"
    unit = "Mbit/s" if bench == "rx1472" else "packets/s"
    table("%s: guest %s (probe net-udp-rx; host-only: tap_pull)" % (what, unit),
          [(LABEL[v], pick(bench, v, key)) for v in ALL_VARIANTS])
if TSO:
    what = "TX TCP with TSO, %d bytes" % sizes["tso"][1]
    table("%s: receiver Mbit/s (tcp_sink; host-only: udp_sink after UDP-GSO)" % what,
          [(LABEL[v], pick("tso", v, "recv_mbps")) for v in ALL_VARIANTS])
    table("%s: guest-reported Mbit/s (host-only: tap_push's own rate)" % what,
          [(LABEL[v], pick("tso", v, "send_mbps")) for v in ALL_VARIANTS])
    table("%s: retransmitted segments" % what,
          [(LABEL[v], pick("tso", v, "retransmits")) for v in VMM_VARIANTS])
for bench in ("tx1472", "rx1472") + (("tso",) if TSO else ()):
    table("%s: host CPU s per GB (whole process, user + sys)" % bench,
          [(LABEL[v], res[bench, v, "cpu"]) for v in ALL_VARIANTS], 2)
table("One-datagram TX run (start-up, init, one frame, teardown): CPU s",
      [(LABEL[v], values(runs("base", v), lambda run: run.cpu)) for v in VMM_VARIANTS], 3)
table("Echo RTT median (µs, %s round trips per run, udp_ping)" % meta["echo_count"],
      [(LABEL[v], [(r, e["rtt_us_median"]) for r, e in echo[v]]) for v in VMM_VARIANTS], 1)
table("Echo RTT p99 (µs)",
      [(LABEL[v], [(r, e["rtt_us_p99"]) for r, e in echo[v]]) for v in VMM_VARIANTS], 1)

w("**Load per round** (\"pre\": 2 idle seconds before the first run; 1-minute load average at the end of the round; CPU seconds used by "
  "processes other than the benchmark's, from /proc/stat less our own children's time, which "
  "also counts kernel work on our traffic done outside our processes, so it is an upper bound; "
  "hypervisor steal)")
w("")
w("| round | load average | other CPU s | steal s | wall s |")
w("|---|---:|---:|---:|---:|")
for r in ["pre"] + list(range(1, ROUNDS + 1)) + ["all"]:
    if r in loads:
        w("| %s | %.2f | %.1f | %.1f | %.1f |" % ((r,) + tuple(loads[r])))
w("")

# --- commands -------------------------------------------------------------------------------
w("## Exact commands")
w("")
w("Run inside the namespace `%s` that run.sh created (tap0 10.99.1.1/24, the guest 10.99.1.2 "
  "with MAC 52:54:00:12:34:56 as a permanent neighbour; IPv6 off); `cputime` wraps each "
  "timed command (`cputime OUT.json --timeout 60 -- COMMAND`); the host programs are "
  "bench/*.c built with `gcc -O2`; `$DIR` is run.sh's scratch folder, gone after the run; paths "
  "are relative to the repository root. "
  "The peer starts first and writes `--flag` once its socket is bound." % meta["ns"])
w("")
for bench in ("boot", "boot-exit", "base", "tx1472", "tx64", "rx1472", "rx64", "echo", "tso"):
    files = sorted(glob.glob(os.path.join(RAW, bench + ".*.cmd")))
    if not files:
        continue
    w("**%s**" % bench)
    w("")
    w("```")
    for f in files:
        for line in read(f).splitlines():
            # run.sh's scratch folder (mktemp -d /tmp/minnow-bench.XXXXXX), wherever RAW is now
            line = re.sub(r"/tmp/minnow-bench\.[A-Za-z0-9]{6}", "$DIR", line)
            w(line.replace(meta.get("root", "//") + "/", ""))
    w("```")
    w("")

# --- oddities -------------------------------------------------------------------------------
w("## Failed runs and counters worth a look")
w("")
notes = sorted(set(failures))
for bench in ("tx1472", "tx64", "rx1472", "rx64"):
    for v in ALL_VARIANTS:
        for r, run in runs(bench, v):
            if run.error:
                continue
            p = run.peer or {}
            if p.get("tap_dropped"):
                notes.append("%s %s round %d: the tap dropped %d datagrams" %
                             (bench, v, r, p["tap_dropped"]))
            if p.get("rcvbuf_errors"):
                notes.append("%s %s round %d: the receiver's socket overflowed %d times" %
                             (bench, v, r, p["rcvbuf_errors"]))
            m = run.metrics
            if m and m.get("devices"):
                n = m["devices"][0].get("net", {})
                bad = {k: x for k, x in list(n.get("drops", {}).items()) +
                       list(n.get("tx_offload_errors", {}).items()) if x}
                if bad:
                    notes.append("%s %s round %d: minnow counters %s" % (bench, v, r, bad))
if notes:
    for n in notes:
        w("- " + n)
else:
    w("None: every run exited as expected, no datagram was lost at the tap or at the receiver, "
      "and minnow counted no drop or offload error.")
w("")

open(OUT, "w").write("\n".join(out))
# The summary on stdout too.
start = out.index("## Summary (medians over the rounds)")
end = out.index("## Per round")
print("\n".join(out[start:end]))
