# SPDX-License-Identifier: MIT
"""Turns bench/dev.sh's per-run JSON lines into bench/RESULTS-device.md: per row and engine the
median, min, max and spread of the rate and of the device's CPU per GB (rr: of the round-trip
time's median and p99 and of the CPU per round trip), the io_uring/readv ratio, and a "not
resolved" mark where the spread is too wide to tell. Also writes every run as one JSON line
(round, row and engine added) to OUT.jsonl.

usage: devreport.py RAW_DIR META.json OUT.md [OUT.jsonl]
"""
import glob
import json
import os
import statistics
import sys

RAW, META, OUT = sys.argv[1:4]
JSONL = sys.argv[4] if len(sys.argv) > 4 else os.path.splitext(OUT)[0] + ".jsonl"
meta = json.load(open(META))
ENGINES = ["uring", "sync"]
LABEL = {"uring": "io_uring", "sync": "readv/writev"}
SPREAD_MAX = 0.10  # a variant whose (max - min) / median exceeds this does not resolve a row
RUNS_MIN = 3  # fewer runs of a variant show no spread worth the name


def read(path):
    try:
        return open(path, errors="replace").read().strip()
    except OSError:
        return ""


def load_runs():
    """Every run: (row name, engine, round) -> its JSON, or an error string."""
    runs = {}
    for cmd in sorted(glob.glob(os.path.join(RAW, "*.cmd"))):
        base = cmd[:-4]
        name, engine, rnd = os.path.basename(base).split(".")
        rc = read(base + ".rc") or "?"
        lines = [l for l in read(base + ".json").splitlines() if l.startswith("{")]
        try:
            j = json.loads(lines[-1]) if lines else None
        except ValueError:
            j = None
        if j is None:
            err = read(base + ".err")[-300:].replace("\n", " / ").replace("|", "/")
            j = {"error": "exit %s, no result line: %s" % (rc, err or "(no output)")}
        elif rc != "0" and "error" not in j:
            j["error"] = "exit %s" % rc
        j.update(bench=name, engine=engine, round=int(rnd), command=read(cmd),
                 started=os.path.getmtime(cmd))
        runs[(name, engine, int(rnd))] = j
    return runs


def small(name):
    """64-byte-frame rows are about packets; the others about bits."""
    return name[2:] == "64"


def is_rr(name):
    """The request-response row: one request at a time, round-trip times."""
    return name.startswith("rr")


def rate_of(name):
    if is_rr(name):
        return ("pps", "round trips/s")
    return ("pps", "packets/s") if small(name) else ("mbps", "Mbit/s")


class Stat:
    def __init__(self, values):
        self.v = values
        self.n = len(values)
        self.med = statistics.median(values) if values else None
        self.lo = min(values) if values else None
        self.hi = max(values) if values else None
        self.spread = (self.hi - self.lo) / self.med if values and self.med else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    return "{:,.{}f}".format(v, digits)


def pct(v):
    return "–" if v is None else "%.1f%%" % (100 * v)


def verdict(a, b, higher_better):
    """The ratio of medians and whether the spreads let it stand."""
    if not a.n or not b.n:
        return "–", "no data"
    ratio = a.med / b.med if b.med else float("inf")
    wide = [LABEL[e] for e, s in zip(ENGINES, (a, b)) if s.spread is None or s.spread > SPREAD_MAX]
    overlap = a.lo <= b.hi and b.lo <= a.hi
    better = (ratio > 1) == higher_better
    if min(a.n, b.n) < RUNS_MIN:
        why = "**not resolved**: fewer than %d runs of each engine" % RUNS_MIN
    elif overlap:
        why = "**not resolved**: the ranges overlap, the spread can flip the direction"
        if wide:
            why += "; spread over %d%% (%s)" % (100 * SPREAD_MAX, ", ".join(wide))
    elif wide:
        # Every run of one engine beat every run of the other: the direction stands, the size
        # of the ratio does not.
        why = "io_uring %s in every run; the ratio's size is **not resolved** (spread over " \
              "%d%%: %s)" % ("better" if better else "worse", 100 * SPREAD_MAX, ", ".join(wide))
    else:
        why = "io_uring %s" % ("better" if better else "worse")
    return "%.2f×" % ratio, why


def stats(runs, name, key):
    out = []
    for e in ENGINES:
        vals = [j[key] for (n, en, _), j in sorted(runs.items())
                if n == name and en == e and "error" not in j and key in j]
        out.append(Stat(vals))
    return out


def summary_table(runs, names, key_of, title, higher_better, digits):
    """One line per row name; key_of(name) gives the JSON key and its unit."""
    return figure_table(runs, [(n,) + key_of(n) for n in names], title, higher_better, digits)


def figure_table(runs, items, title, higher_better, digits):
    """One line per (row name, JSON key, unit): both engines' medians, ranges, spreads, ratio."""
    rows = ["| row | %s | io_uring median | min – max | spread | readv/writev median | "
            "min – max | spread | io_uring / readv | verdict |" % title,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, key, unit in items:
        a, b = stats(runs, name, key)
        ratio, why = verdict(a, b, higher_better)
        rows.append("| %s | %s | %s | %s – %s | %s | %s | %s – %s | %s | %s | %s |" % (
            name, unit, fmt(a.med, digits), fmt(a.lo, digits), fmt(a.hi, digits), pct(a.spread),
            fmt(b.med, digits), fmt(b.lo, digits), fmt(b.hi, digits), pct(b.spread), ratio, why))
    return rows


DETAIL = [("io_cpu_s", "I/O thread CPU s", 2), ("other_cpu_s", "other device CPU s", 3),
          ("cpu_ns_per_frame", "device CPU ns/frame", 0), ("csw_per_frame", "I/O csw/frame", 4),
          ("kicks_per_frame", "kicks/frame", 4), ("drv_cpu_s", "driver CPU s", 2),
          ("peer_cpu_s", "peer CPU s", 2), ("outside_cpu_s", "CPU outside the process s", 2)]


def detail_table(runs, names):
    rows = ["| row | engine | " + " | ".join(t for _, t, _ in DETAIL) + " | lost (all runs) |",
            "|---|---|" + "---:|" * (len(DETAIL) + 1)]
    for name in names:
        for e, s in zip(ENGINES, range(2)):
            cells = [fmt(stats(runs, name, k)[s].med, d) for k, _, d in DETAIL]
            lost = sum(j.get("total_lost", 0) for (n, en, _), j in runs.items()
                       if n == name and en == e and "error" not in j)
            rows.append("| %s | %s | %s | %d |" % (name, LABEL[e], " | ".join(cells), lost))
    return rows


def latency_tables(runs, names):
    """rr rows: the round-trip time's median and p99, and the device's CPU per round trip."""
    rr = [n for n in names if is_rr(n)]
    if not rr:
        return []
    items = []
    for n in rr:
        items += [(n, "rtt_med_us", "RTT median, µs"), (n, "rtt_p99_us", "RTT p99, µs")]
    out = ["## Round-trip time (lower is better)", "",
           "rr: the peer sends one %s-byte UDP datagram, waits for the driver's echo (a reply not "
           "there in 1 s is lost, and the next request goes), and times send to receive with "
           "CLOCK_MONOTONIC; the figures are each run's median and p99 over its window, then "
           "their medians, ranges and spreads over the rounds. **Lower is better**: a ratio "
           "below 1× is io_uring answering sooner." % rr_size(runs, rr), ""]
    out += figure_table(runs, items, "figure", False, 1)
    out += ["", "Device CPU per round trip (two frames through the device: the request on RX, "
            "the echo on TX), **lower is better**:", ""]
    out += figure_table(runs, [(n, "cpu_ns_per_frame", "CPU ns / round trip") for n in rr],
                        "unit", False, 0)
    out += ["", "Every rr run, in the order they ran (µs; \"late\": replies to a request "
            "already counted lost; \"mismatch\": replies that matched no request):", "",
            "| round | row | engine | round trips/s | min | median | p90 | p99 | max | lost | "
            "late | mismatch |", "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (name, e, r), j in sorted(runs.items(), key=lambda kv: kv[1]["started"]):
        if is_rr(name) and "error" not in j:
            out.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d |" % (
                r, name, LABEL[e], fmt(j["pps"]), fmt(j["rtt_min_us"], 1),
                fmt(j["rtt_med_us"], 1), fmt(j["rtt_p90_us"], 1), fmt(j["rtt_p99_us"], 1),
                fmt(j["rtt_max_us"], 1), j.get("total_lost", 0), j.get("total_late", 0),
                j.get("total_mismatch", 0)))
    return out + [""]


def rr_size(runs, rr):
    sizes = sorted({j["size"] for (n, _, _), j in runs.items() if n in rr and "size" in j})
    return "/".join(str(s) for s in sizes) or "?"


def engines_note(runs):
    """How the io_uring runs' device named its engine: what MINNOW_URING_DISABLE left on."""
    seen = sorted({j["io_engine"] for j in runs.values() if j.get("io") == "uring"
                   and "io_engine" in j})
    return ", ".join("`%s`" % e for e in seen) or "–"


def per_run_table(runs):
    rows = ["In the order they ran.", "",
            "| round | row | engine | Mbit/s | packets/s | CPU s/GB | device CPU s | "
            "outside CPU s | lost | note |", "|---:|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for (name, e, r), j in sorted(runs.items(), key=lambda kv: kv[1]["started"]):
        if "error" in j:
            rows.append("| %d | %s | %s | | | | | | | error: %s |" % (r, name, LABEL[e],
                                                                    j["error"]))
            continue
        rr = is_rr(name)  # its bits and CPU per GB say nothing: rr's own table has the rest
        rows.append("| %d | %s | %s | %s | %s | %s | %s | %s | %d | %s |" % (
            r, name, LABEL[e], fmt(None if rr else j["mbps"], 1), fmt(j["pps"]),
            fmt(None if rr else j["cpu_s_per_gb"], 3), fmt(j["dev_cpu_s"], 2),
            fmt(j["outside_cpu_s"], 2), j.get("total_lost", 0), "round trips/s" if rr else ""))
    return rows


def busy_note(runs):
    """CPU that ran outside our process during the windows, as a share of the machine."""
    shares = [j["outside_cpu_s"] / (j["window_s"] * int(meta["nproc"]))
              for j in runs.values() if "error" not in j and j.get("window_s")]
    if not shares:
        return "No run produced a result."
    top = max(shares)
    s = ("CPU time outside the benchmark's process during a window (other processes, and kernel "
         "work such as ksoftirqd): median %.1f%%, at most %.1f%% of the machine (/proc/stat is "
         "sampled at the tick: a few hundredths of a second either way, so small negative values "
         "occur)." % (100 * statistics.median(shares), 100 * top))
    if top > 0.10:
        s += " **Some windows ran on a busy machine: treat their rows with care.**"
    return s


def main():
    runs = load_runs()
    names = []
    for (name, _, _) in sorted(runs, key=lambda k: k[2]):
        if name not in names:
            names.append(name)
    with open(JSONL, "w") as f:
        for j in sorted(runs.values(), key=lambda j: j["started"]):
            f.write(json.dumps(j, sort_keys=True) + "\n")
    m = meta
    out = [
        "# minnow device-only benchmark: io_uring against readv/writev",
        "",
        "Written by `bench/dev.sh` (bench/README.md, \"Device-only benchmark\"). This is the "
        "virtio-net device alone, with an in-process polling driver as the guest "
        "(`bench/devbench`, over tests/support/netdrv): **no VM and no QEMU comparison**. It "
        "compares minnow's two engines, `io=uring` and `io=sync` (readv/writev), on the same tap "
        "in the same run. Not a test: nothing here is asserted.",
        "",
        "| | |", "|---|---|",
        "| date | `%s` |" % m["date"],
        "| command | `%s` |" % m["command"],
        "| commit | `%s` |" % m["commit"],
        "| program | `%s` |" % m["devbench"],
        "| machine | %s cores (%s), kernel %s |" % (m["nproc"], m["cpu"], m["kernel"]),
        "| load average (1, 5, 15 min) | at start %s; at end %s |" % (m["load_start"],
                                                                      m["load_end"]),
        "| rounds | %s, each row for both engines in each, the order reversed every other round |"
        % m["rounds"],
        "| one run | %s s of warm-up (not measured), then a %s s window |" % (m["warmup"],
                                                                             m["seconds"]),
        "| MRG_RXBUF | %s |" % ("negotiated" if m.get("mrg") else "not negotiated"),
        "| MINNOW_URING_DISABLE | %s |" % m.get("uring_disable", "not recorded"),
        "| io_uring engine (as the device named it) | %s |" % engines_note(runs),
        "",
        busy_note(runs),
        "",
        "Rates count UDP payload: rx at the driver (datagrams of the flow), tx at the peer "
        "socket. \"64\" rows carry 18-byte datagrams (64-byte frames on a wire). Device CPU is "
        "the process's CPU less the driver's and the peer's threads (the I/O thread, io_uring "
        "workers if any); CPU per GB is that over the payload. Spread = (max - min) / median. A "
        "row is **not resolved** when either engine has fewer than %d good runs or the two "
        "ranges overlap (the spread could flip the ratio's direction); where every run of one "
        "engine beat every run of the other but a spread exceeds %d%%, the direction stands and "
        "the ratio's size is marked not resolved." % (RUNS_MIN, 100 * SPREAD_MAX),
        "",
        "## Rate (higher is better)",
        "",
    ]
    out += summary_table(runs, names, rate_of, "unit", True, 0)
    flows = [n for n in names if not is_rr(n)]
    if flows:
        out += ["", "## Device CPU per GB of payload (lower is better)", ""]
        out += summary_table(runs, flows, lambda n: ("cpu_s_per_gb", "CPU s/GB"), "unit", False,
                             3)
    out += [""] + latency_tables(runs, names)
    out += ["## Where the time goes (medians)", "",
            "The machine has %s cores and three threads want one each: the polling driver, the "
            "device's I/O thread and the peer. \"lost\" is what the sender sent and the receiver "
            "never counted, over whole runs (warm-up and drain included). For rr a \"frame\" is "
            "a round trip (a request in and its echo out)." % m["nproc"], ""]
    out += detail_table(runs, names)
    out += ["", "## Every run", ""]
    out += per_run_table(runs)
    cmds = sorted({j["command"] for j in runs.values() if j.get("command")})
    out += ["", "## Commands", "", "`$DIR` is the scratch folder dev.sh copies the program into.",
            "", "```"] + cmds + ["```", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(out))
    print("\n".join(summary_table(runs, names, rate_of, "unit", True, 0)))
    rr = [n for n in names if is_rr(n)]
    if rr:
        print("\n".join(figure_table(runs, [(n, k, u) for n in rr for k, u in (
            ("rtt_med_us", "RTT median, µs"), ("rtt_p99_us", "RTT p99, µs"))],
            "figure (lower is better)", False, 1)))


main()
