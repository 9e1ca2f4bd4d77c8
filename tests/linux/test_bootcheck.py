#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bootcheck.py against made-up guest logs: a good boot passes, and each way a boot can go wrong
fails exactly the check that covers it (so the boot test cannot pass by accident)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD_BITS = [0, 1, 3, 5, 7, 8, 9, 11, 12, 13, 15, 16, 28, 29, 32]
WANT = "CSUM,GUEST_CSUM,HOST_TSO4,HOST_TSO6,GUEST_TSO4,GUEST_TSO6,MRG_RXBUF,VERSION_1,MTU"
ETHTOOL = """Features for eth0:
rx-checksumming: on [fixed]
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: on
\ttx-tcp-ecn-segmentation: on
\ttx-tcp6-segmentation: on
generic-receive-offload: on"""


def iperf_json(client=True, reverse=0, received=10**9, error=None, streams=None):
    start = {"connecting_to": {"host": "10.99.1.1"}} if client else {"accepted_connection": {}}
    start["test_start"] = {"reverse": reverse, "num_streams": len(streams or [0])}
    j = {"start": start, "end": {
        "sum_sent": {"bytes": 10**9, "seconds": 2.0, "bits_per_second": 4e9, "retransmits": 0},
        "sum_received": {"bytes": received, "seconds": 2.0, "bits_per_second": received * 4.0}}}
    if streams is not None:  # the bytes each stream moved
        j["end"]["streams"] = [{"sender": {"bytes": n}, "receiver": {"bytes": n}} for n in streams]
    if error:
        j["error"] = error
    return json.dumps(j, indent=1)


def log(bits=GOOD_BITS, ethtool=ETHTOOL, tx=None, rx=None, end="=== guest end: status=0 ==="):
    feat = "".join("1" if i in bits else "0" for i in range(64))
    return "\r\n".join([
        "[    1.0] Run /init as init process", "guest: up", "guest-features: eth0 " + feat,
        "<<< ethtool-k", ethtool, ">>> ethtool-k rc=0",
        "<<< iperf3-tx", tx if tx is not None else iperf_json(), ">>> iperf3-tx rc=0",
        "<<< iperf3-rx", rx if rx is not None else iperf_json(reverse=1), ">>> iperf3-rx rc=0",
        end, "[   9.0] reboot: Power down", ""])


FRAMES = {"iface": "tap0", "mtu": 1500,
          "guest_to_host": {"frames": 100, "over_mtu": 40, "max_len": 65226},
          "host_to_guest": {"frames": 100, "over_mtu": 30, "max_len": 65226}}


class BootCheck(unittest.TestCase):
    def run_check(self, serial, frames=FRAMES, exit_status=0, metrics=None, extra=(), junit=None,
                  snaps=None, neigh=None):
        with tempfile.TemporaryDirectory() as d:
            for name, doc in (snaps or {}).items():
                with open(os.path.join(d, "metrics-%s.json" % name), "w") as f:
                    json.dump(doc, f)
            if snaps is not None:
                extra = list(extra) + ["--snapshots", d]
            if neigh is not None:
                with open(os.path.join(d, "neigh.txt"), "w") as f:
                    f.write(neigh)
                extra = list(extra) + ["--host-neigh", os.path.join(d, "neigh.txt")]
            paths = {n: os.path.join(d, n) for n in ("serial", "frames", "metrics", "out")}
            with open(paths["serial"], "w") as f:
                f.write(serial)
            with open(paths["frames"], "w") as f:
                json.dump(frames, f)
            args = [sys.executable, os.path.join(HERE, "bootcheck.py"), "--vmm", "minnow",
                    "--serial", paths["serial"], "--frames", paths["frames"], "--exit",
                    str(exit_status), "--want-exit", "0", "--features", WANT, "--json", paths["out"]]
            if metrics is not None:
                with open(paths["metrics"], "w") as f:
                    json.dump(metrics, f)
                args += ["--metrics", paths["metrics"]]
            args += list(extra)
            if junit is not None:
                args += ["--junit", os.path.join(d, "junit.xml")]
            p = subprocess.run(args, capture_output=True, text=True)
            with open(paths["out"]) as f:
                result = json.load(f)
            if junit is not None:
                with open(os.path.join(d, "junit.xml")) as f:
                    junit.append(f.read())
        failed = [c["name"] for c in result["checks"] if not c["ok"]]
        return p.returncode, failed, result, p.stdout

    def assert_fails_only(self, want, **kw):  # noqa: D102
        rc, failed, _, out = self.run_check(**kw)
        self.assertEqual(rc, 1, out)
        self.assertEqual(failed, [want], out)

    def test_good_boot_passes(self):
        rc, failed, r, out = self.run_check(log())
        self.assertEqual((rc, failed), (0, []), out)
        self.assertEqual(r["result"], "pass")
        self.assertEqual(r["throughput_mbps"], {"tx": 4000.0, "rx": 4000.0})
        self.assertIn("HOST_TSO6", r["features"])

    def test_missing_feature_fails(self):
        self.assert_fails_only("negotiated features", serial=log(bits=[b for b in GOOD_BITS if b != 12]))

    def test_tso_off_in_ethtool_fails(self):
        self.assert_fails_only("ethtool -k", serial=log(ethtool=ETHTOOL.replace(
            "\ttx-tcp6-segmentation: on", "\ttx-tcp6-segmentation: off")))

    def test_iperf_error_fails(self):
        self.assert_fails_only("iperf3 tx (guest to host)",
                               serial=log(tx=iperf_json(error="unable to connect to server")))

    def test_nothing_received_fails(self):
        self.assert_fails_only("iperf3 rx (host to guest)", serial=log(rx=iperf_json(received=0)))

    def test_server_that_sent_counts_its_sent_bytes(self):
        rc, failed, r, out = self.run_check(log(tx=iperf_json(client=False, reverse=1, received=0)))
        self.assertEqual((rc, failed), (0, []), out)

    def test_no_super_frames_fails(self):
        frames = json.loads(json.dumps(FRAMES))
        frames["guest_to_host"]["over_mtu"] = 0
        self.assert_fails_only("guest to host super-frames (HOST_TSO4)", serial=log(), frames=frames)

    def test_vmm_exit_status_fails(self):
        self.assert_fails_only("minnow exit status", serial=log(), exit_status=124)

    def test_no_end_marker_fails(self):
        self.assert_fails_only("guest end marker", serial=log(end="guest: still running"))

    def test_guest_step_failure_fails(self):
        self.assert_fails_only("guest end marker", serial=log(end="=== guest end: status=1 ==="))

    @staticmethod
    def metrics():
        q = {"broken": "no", "bad_chains": {"total": 0}}
        return {"devices": [{"net": {"drops": {"rx_no_buffer": 0, "tx_bad_header": 0},
                                     "tx_offload_errors": {"csum": 0}, "tx_tso": 9, "tx_csum": 9,
                                     "rx_gso": 9, "verify_frames": 0, "verify_bad": 0},
                             "tap_offloads_active": 31,
                             "transport": {"driver_errors": {"bad_write": 0},
                                           "negotiated": 0x1300b8ba3, "driver_ok": 1},
                             "queues": [dict(q), dict(q)]}]}

    def test_minnow_counters_pass(self):
        rc, failed, _, out = self.run_check(log(), metrics=self.metrics())
        self.assertEqual((rc, failed), (0, []), out)

    def test_minnow_drop_counter_fails(self):
        m = self.metrics()
        m["devices"][0]["net"]["drops"]["tx_bad_header"] = 2
        self.assert_fails_only("minnow counters", serial=log(), metrics=m)

    def test_minnow_bad_chain_fails(self):
        m = self.metrics()
        m["devices"][0]["queues"][1]["bad_chains"]["total"] = 1
        self.assert_fails_only("minnow counters", serial=log(), metrics=m)

    def test_minnow_without_tso_fails(self):
        m = self.metrics()
        m["devices"][0]["net"]["tx_tso"] = 0
        self.assert_fails_only("minnow offload counters", serial=log(), metrics=m)

    def test_negotiated_lost_at_reset_fails(self):
        m = self.metrics()
        m["devices"][0]["transport"]["negotiated"] = 0
        self.assert_fails_only("minnow negotiated features", serial=log(), metrics=m)

    def test_verifier_findings_fail(self):
        m = self.metrics()
        m["devices"][0]["net"].update(verify_frames=100, verify_bad=1)
        self.assert_fails_only("offload verifier", serial=log(), metrics=m)

    @staticmethod
    def with_steps(*blocks):
        good = log()
        text = "\r\n".join("<<< %s\r\n%s\r\n>>> %s rc=%d" % (n, body, n, rc) for n, body, rc in blocks)
        return good.replace("=== guest end", text + "\r\n=== guest end")

    SHA = "ab" * 32

    def test_steps_pass(self):
        serial = self.with_steps(
            ("udp", "ok", 0),
            ("integrity", "guest-sha256: %s 100\nhost-sha256: %s 100" % (self.SHA, self.SHA), 0),
            ("mem", "MemTotal:        5000000 kB\nguest-cpus: 4", 0),
            ("mtu", "guest-mtu: 9000", 0))
        rc, failed, _, out = self.run_check(serial, extra=[
            "--steps", "udp,integrity,mem,mtu", "--blob-sha256", self.SHA + ":100",
            "--mem-above", str(4 << 30), "--cpus", "4", "--mtu", "9000"])
        self.assertEqual((rc, failed), (0, []), out)

    def test_step_failed_or_missing_fails(self):
        serial = self.with_steps(("udp", "not ok", 1))
        self.assert_fails_only("step udp", serial=serial, extra=["--steps", "udp"])
        self.assert_fails_only("step tcp6", serial=serial, extra=["--steps", "tcp6"])

    def test_integrity_mismatch_fails(self):
        other = "cd" * 32
        serial = self.with_steps(
            ("integrity", "guest-sha256: %s 100\nhost-sha256: %s 100" % (self.SHA, other), 0))
        self.assert_fails_only("step integrity", serial=serial, extra=[
            "--steps", "integrity", "--blob-sha256", self.SHA + ":100"])

    def test_mem_and_mtu_below_want_fail(self):
        serial = self.with_steps(("mem", "MemTotal:  400000 kB\nguest-cpus: 4", 0),
                                 ("mtu", "guest-mtu: 1500", 0))
        self.assert_fails_only("step mem", serial=serial, extra=[
            "--steps", "mem", "--mem-above", str(4 << 30), "--cpus", "4"])
        self.assert_fails_only("step mtu", serial=serial, extra=["--steps", "mtu", "--mtu", "9000"])

    def test_reboot_exit_status(self):
        rc, failed, _, out = self.run_check(log(), exit_status=3, extra=["--want-exit", "3"])
        self.assertEqual((rc, failed), (0, []), out)

    def test_junit_lists_each_check(self):
        junit = []
        rc, failed, r, out = self.run_check(log(), exit_status=1, junit=junit)
        self.assertEqual(failed, ["minnow exit status"], out)
        x = junit[0]
        self.assertIn('tests="%d" failures="1"' % len(r["checks"]), x)
        self.assertEqual(x.count("<testcase "), len(r["checks"]))
        self.assertIn('name="minnow exit status"><failure message="1 (want 0)"/>', x)


# --- multi-queue and the control queue ---------------------------------------------------------

ETHTOOL_L = """Channel parameters for eth0:
Pre-set maximums:
RX:\t\tn/a
TX:\t\tn/a
Other:\t\tn/a
Combined:\t%d
Current hardware settings:
RX:\t\tn/a
TX:\t\tn/a
Other:\t\tn/a
Combined:\t%d
guest-queues: %d rx, %d tx
guest-xps: tx-0 cpus 1
guest-xps: tx-1 cpus 2"""
NEGOTIATED = 0x130c7bbaf  # basic's features with CTRL_VQ, CTRL_RX, MQ, CTRL_MAC_ADDR, GUEST_OFFLOADS
NEW_MAC = "02:00:00:99:00:02"


def blocks_log(blocks, steps_into=None):
    """log() with blocks (name, body, rc) before its end marker."""
    text = "\r\n".join("<<< %s\r\n%s\r\n>>> %s rc=%d" % (n, body, n, rc) for n, body, rc in blocks)
    return log().replace("=== guest end", text + "\r\n=== guest end")


def net_metrics(base, pairs=None, active=2, commands=10, err=0, offloads=None, tap=None,
                promisc=False, allmulti=False, mac="52:54:00:12:34:56", mc=3, uc=0, rx_gso=9):
    """minnow's metrics (base: BootCheck.metrics()) with the multi-queue and ctrl parts: pairs
    of (rx, tx) packets of 1000 bytes each, the device's totals their sums."""
    m = json.loads(json.dumps(base))
    d = m["devices"][0]
    d["transport"]["negotiated"] = NEGOTIATED
    offloads = 0x382 if offloads is None else offloads  # GUEST_CSUM, TSO4, TSO6, ECN
    d["tap_offloads_active"] = 0xf if tap is None else tap
    pairs = pairs or [(100, 100), (100, 100)]
    d["net"].update(queue_pairs={"max": 2, "active": active}, queues=[
        {"pair": i, "rx_packets": rx, "rx_bytes": rx * 1000, "tx_packets": tx,
         "tx_bytes": tx * 1000, "rx_dropped": 0, "tx_dropped": 0, "kicks": 5, "interrupts": 5}
        for i, (rx, tx) in enumerate(pairs)], ctrl={
        "commands": commands, "ok": commands - err, "err": err,
        "errors": {"unknown_class": err}, "promisc": promisc, "allmulti": allmulti, "mac": mac,
        "mac_table": {"unicast": uc, "multicast": mc}, "guest_offloads": offloads})
    for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped"):
        d["net"][k] = sum(q[k] for q in d["net"]["queues"])
    d["net"]["rx_gso"] = rx_gso
    return m


class MultiQueue(unittest.TestCase):
    """Steps mq and ctrl: their blocks and the metrics snapshots."""
    run_check = BootCheck.run_check
    metrics = staticmethod(BootCheck.metrics)

    def mq_blocks(self, **change):
        b = {"mq-channels": (ETHTOOL_L % (2, 2, 2, 2), 0),
             "mq-switch": ("ok: combined 1 while TCP runs\nok: snapshot mq-one\n"
                           "ok: combined 2 again\nok: both transfers still running", 0),
             "mq-switch-tx": (iperf_json(streams=[5, 5]), 0),
             "mq-switch-rx": (iperf_json(reverse=1, streams=[5, 5]), 0)}
        for cpu in (0, 1):
            b["mq-p4-tx-cpu%d" % cpu] = (iperf_json(streams=[1, 2, 3, 4]), 0)
            b["mq-p4-rx-cpu%d" % cpu] = (iperf_json(reverse=1, streams=[1, 2, 3, 4]), 0)
        b.update(change)
        return blocks_log([(n, body, rc) for n, (body, rc) in b.items()])

    def mq_snaps(self, **change):
        base = self.metrics()
        s = {"mq-start": net_metrics(base, pairs=[(10, 10), (0, 0)], commands=3),
             "mq-p4": net_metrics(base, pairs=[(50, 40), (30, 20)], commands=3),
             "mq-one": net_metrics(base, pairs=[(60, 50), (35, 25)], active=1, commands=4),
             "mq-end": net_metrics(base, pairs=[(90, 80), (40, 30)], commands=5)}
        s.update(change)
        return s

    def run_mq(self, serial=None, snaps=None, final=None):
        return self.run_check(serial or self.mq_blocks(), snaps=snaps or self.mq_snaps(),
                              metrics=final or net_metrics(self.metrics(), commands=5),
                              extra=["--steps", "mq", "--pairs", "2"])

    def test_mq_passes(self):
        rc, failed, r, out = self.run_mq()
        self.assertEqual((rc, failed), (0, []), out)
        names = [c["name"] for c in r["checks"]]
        for n in ("mq channels", "mq traffic on every queue pair", "mq combined 1 and back under load",
                  "mq iperf3 -P 4 rx (host to guest) from CPU 1", "mq iperf3 -P 2 tx across the switches",
                  "minnow control queue (mq)"):
            self.assertIn(n, names)

    def test_mq_one_channel_fails(self):
        rc, failed, _, out = self.run_mq(serial=self.mq_blocks(**{
            "mq-channels": (ETHTOOL_L % (2, 1, 1, 1), 0)}))
        self.assertEqual(failed, ["mq channels"], out)

    def test_mq_p4_stream_missing_or_idle_fails(self):
        for streams in ([1, 2, 3], [1, 2, 0, 4]):
            rc, failed, _, out = self.run_mq(serial=self.mq_blocks(**{
                "mq-p4-tx-cpu1": (iperf_json(streams=streams), 0)}))
            self.assertEqual(failed, ["mq iperf3 -P 4 tx (guest to host) from CPU 1"], out)

    def test_mq_idle_pair_fails(self):
        snaps = self.mq_snaps(**{"mq-p4": net_metrics(self.metrics(), pairs=[(50, 40), (0, 20)],
                                                      commands=3)})
        rc, failed, _, out = self.run_mq(snaps=snaps)
        self.assertEqual(failed, ["mq traffic on every queue pair"], out)
        self.assertIn("pair 1: rx_packets +0", out)
        # A few frames (the snapshot's own ARP and ping) are not -P 4's traffic.
        snaps = self.mq_snaps(**{"mq-p4": net_metrics(self.metrics(), pairs=[(50, 40), (2, 20)],
                                                      commands=3)})
        rc, failed, _, out = self.run_mq(snaps=snaps)
        self.assertEqual(failed, ["mq traffic on every queue pair"], out)

    def test_mq_pairs_not_adding_up_or_dropping_fails(self):
        m = net_metrics(self.metrics(), commands=5)
        m["devices"][0]["net"]["tx_packets"] += 1
        rc, failed, _, out = self.run_mq(final=m)
        self.assertEqual(failed, ["mq per-pair counters"], out)
        m = net_metrics(self.metrics(), commands=5)
        m["devices"][0]["net"]["queues"][1]["rx_dropped"] = 1
        m["devices"][0]["net"]["rx_dropped"] = 1
        rc, failed, _, out = self.run_mq(final=m)
        self.assertEqual(failed, ["mq per-pair counters"], out)

    def test_mq_missing_snapshot_fails(self):
        snaps = self.mq_snaps()
        del snaps["mq-start"]
        rc, failed, _, out = self.run_mq(snaps=snaps)
        self.assertEqual(failed, ["mq traffic on every queue pair"], out)

    def test_mq_pairs_not_following_fails(self):
        for name, doc in (("mq-one", net_metrics(self.metrics(), active=2, commands=4)),
                          ("mq-end", net_metrics(self.metrics(), active=1, commands=5)),
                          ("mq-one", net_metrics(self.metrics(), active=1, commands=3))):
            rc, failed, _, out = self.run_mq(snaps=self.mq_snaps(**{name: doc}))
            self.assertEqual(failed, ["mq combined 1 and back under load"], out)

    def test_mq_switch_step_or_transfer_fails(self):
        rc, failed, _, out = self.run_mq(serial=self.mq_blocks(**{
            "mq-switch": ("not ok: both transfers still running", 1)}))
        self.assertEqual(failed, ["mq combined 1 and back under load"], out)
        rc, failed, _, out = self.run_mq(serial=self.mq_blocks(**{
            "mq-switch-rx": (iperf_json(reverse=1, streams=[5, 5], error="control socket closed"), 1)}))
        self.assertEqual(failed, ["mq iperf3 -P 2 rx across the switches"], out)

    def test_mq_failed_command_fails(self):
        rc, failed, _, out = self.run_mq(final=net_metrics(self.metrics(), commands=5, err=1))
        self.assertEqual(failed, ["minnow control queue (mq)"], out)

    # ctrl

    def ctrl_blocks(self, **change):
        b = {"ctrl-features": ("rx-checksumming: on [fixed]\nrx-gro-hw: on", 0),
             "ctrl-gro-hw": ("ok: rx-gro-hw off\nok: rx-gro-hw on", 0),
             "ctrl-rx-mode": ("guest-multicast: 3\nok: snapshot ctrl-nopromisc", 0),
             "ctrl-mac": ("guest-mac: %s\nok: the interface has %s" % (NEW_MAC, NEW_MAC), 0)}
        b.update(change)
        return blocks_log([(n, body, rc) for n, (body, rc) in b.items()])

    def ctrl_snaps(self, **change):
        base = self.metrics()
        s = {"ctrl-start": net_metrics(base, commands=3),
             "ctrl-gro-hw-off": net_metrics(base, commands=4, offloads=0x2, tap=0x1),
             "ctrl-gro-hw-on": net_metrics(base, pairs=[(200, 100), (100, 100)], commands=5),
             "ctrl-promisc": net_metrics(base, commands=9, promisc=True, allmulti=True, rx_gso=20),
             "ctrl-nopromisc": net_metrics(base, commands=12),
             "ctrl-mac": net_metrics(base, commands=13, mac=NEW_MAC),
             "ctrl-end": net_metrics(base, commands=13, mac=NEW_MAC)}
        s.update(change)
        return s

    def run_ctrl(self, serial=None, snaps=None, final=None,
                 neigh="10.99.1.2 lladdr %s STALE\n" % NEW_MAC):
        return self.run_check(serial or self.ctrl_blocks(), snaps=snaps or self.ctrl_snaps(),
                              metrics=final or net_metrics(self.metrics(), commands=13),
                              extra=["--steps", "ctrl", "--pairs", "2"], neigh=neigh)

    def test_ctrl_passes(self):
        rc, failed, r, out = self.run_ctrl()
        self.assertEqual((rc, failed), (0, []), out)
        self.assertEqual(sorted(c["name"] for c in r["checks"] if c["name"].startswith("ctrl")),
                         ["ctrl new MAC", "ctrl promisc and allmulticast", "ctrl rx-gro-hw off and on"])

    def test_ctrl_new_keys_beside_the_device_pass(self):
        def flat(m):  # queue_pairs and ctrl in the device's object rather than in "net"
            d = m["devices"][0]
            d["queue_pairs"], d["ctrl"] = d["net"].pop("queue_pairs"), d["net"].pop("ctrl")
            return m
        rc, failed, _, out = self.run_ctrl(
            snaps={k: flat(v) for k, v in self.ctrl_snaps().items()},
            final=flat(net_metrics(self.metrics(), commands=13)))
        self.assertEqual((rc, failed), (0, []), out)

    def test_ctrl_offloads_not_following_fail(self):
        base = self.metrics()
        for doc in (net_metrics(base, commands=4, offloads=0x382, tap=0xf),  # command ignored
                    net_metrics(base, commands=4, offloads=0x2, tap=0xf),    # tap not told
                    net_metrics(base, commands=4, offloads=0x0, tap=0x0)):   # GUEST_CSUM lost too
            rc, failed, _, out = self.run_ctrl(snaps=self.ctrl_snaps(**{"ctrl-gro-hw-off": doc}))
            self.assertEqual(failed, ["ctrl rx-gro-hw off and on"], out)
        rc, failed, _, out = self.run_ctrl(snaps=self.ctrl_snaps(**{
            "ctrl-gro-hw-on": net_metrics(base, commands=5, offloads=0x2, tap=0x1)}))
        self.assertEqual(failed, ["ctrl rx-gro-hw off and on"], out)
        rc, failed, _, out = self.run_ctrl(serial=self.ctrl_blocks(**{
            "ctrl-gro-hw": ("not ok: rx-gro-hw off", 1)}))
        self.assertEqual(failed, ["ctrl rx-gro-hw off and on"], out)
        # Super-frames from the tap while off, none after on, no traffic while off.
        for name, doc in (("ctrl-gro-hw-on", net_metrics(base, pairs=[(200, 100), (100, 100)],
                                                         commands=5, rx_gso=10)),
                          ("ctrl-promisc", net_metrics(base, commands=9, promisc=True,
                                                       allmulti=True, rx_gso=9)),
                          ("ctrl-gro-hw-on", net_metrics(base, commands=5))):
            rc, failed, _, out = self.run_ctrl(snaps=self.ctrl_snaps(**{name: doc}))
            self.assertEqual(failed, ["ctrl rx-gro-hw off and on"], out)

    def test_ctrl_rx_mode_fails(self):
        base = self.metrics()
        for name, doc in (("ctrl-promisc", net_metrics(base, commands=9, allmulti=True, rx_gso=20)),
                          ("ctrl-nopromisc", net_metrics(base, commands=12, promisc=True)),
                          ("ctrl-nopromisc", net_metrics(base, commands=12, mc=2)),
                          ("ctrl-nopromisc", net_metrics(base, commands=12, uc=1))):
            rc, failed, _, out = self.run_ctrl(snaps=self.ctrl_snaps(**{name: doc}))
            self.assertEqual(failed, ["ctrl promisc and allmulticast"], out)

    def test_ctrl_mac_fails(self):
        rc, failed, _, out = self.run_ctrl(snaps=self.ctrl_snaps(**{
            "ctrl-mac": net_metrics(self.metrics(), commands=13)}))
        self.assertEqual(failed, ["ctrl new MAC"], out)
        rc, failed, _, out = self.run_ctrl(neigh="10.99.1.2 lladdr 52:54:00:12:34:56 STALE\n")
        self.assertEqual(failed, ["ctrl new MAC"], out)
        rc, failed, _, out = self.run_ctrl(serial=self.ctrl_blocks(**{
            "ctrl-mac": ("guest-mac: %s\nping: sendto: timeout" % NEW_MAC, 1)}))
        self.assertEqual(failed, ["ctrl new MAC"], out)

    def test_ctrl_failed_command_fails(self):
        rc, failed, _, out = self.run_ctrl(final=net_metrics(self.metrics(), commands=13, err=2))
        self.assertEqual(failed, ["minnow control queue (ctrl)"], out)

    def test_ctrl_one_pair_by_default_fails(self):
        m = net_metrics(self.metrics(), commands=13)
        m["devices"][0]["net"]["queue_pairs"]["max"] = 1
        rc, failed, _, out = self.run_ctrl(final=m)
        self.assertEqual(failed, ["minnow control queue (ctrl)"], out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
