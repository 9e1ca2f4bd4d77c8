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


def iperf_json(client=True, reverse=0, received=10**9, error=None):
    start = {"connecting_to": {"host": "10.99.1.1"}} if client else {"accepted_connection": {}}
    start["test_start"] = {"reverse": reverse}
    j = {"start": start, "end": {
        "sum_sent": {"bytes": 10**9, "seconds": 2.0, "bits_per_second": 4e9, "retransmits": 0},
        "sum_received": {"bytes": received, "seconds": 2.0, "bits_per_second": received * 4.0}}}
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
    def run_check(self, serial, frames=FRAMES, exit_status=0, metrics=None, extra=(), junit=None):
        with tempfile.TemporaryDirectory() as d:
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
