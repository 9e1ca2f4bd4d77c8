#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# minnow's offload verifier (--net ...,verify=on) and software offloads (offload=soft) against the
# probe's net-verify mode on a real tap: three frames with right offload requests and five each
# wrong in one field (guest-images/probe/netverify.c). With verify=on exactly the five are
# reported, each with its kind, in the counters and in one log line each with the offsets; the
# one validation refuses (GSO TCPV6 on IPv4) is also dropped and counted as an offload error.
# verify=off checks nothing; offload=soft sends the same frames finished in software: 9 plain
# frames on the wire (5 checksummed, 2 TSO frames of 2 segments). Everything runs in a network
# namespace this script creates and deletes (DESIGN §1).
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

# The guest never ARPs (probe.peer_mac), nor does the host for the RSTs it answers with.
net_guest_tap net-verify

# VERSION_1|EVENT_IDX|STATUS|MAC|MTU with CSUM (bit 0), HOST_TSO4 (bit 11), HOST_TSO6 (bit 12).
F=$((0x120010028 | 0x1 | 0x800 | 0x1000))
args="probe.mode=net-verify probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.peer_mac=$tap_mac"
args+=" probe.port=5000 probe.features=$F"

# The frames the guest puts on tap0, counted until 0.2 s after the expected number arrived (so
# one too many is counted too): offloaded ones (the kernel kept the partial checksum:
# TP_STATUS_CSUMNOTREADY), and plain ones, whose IPv4 and L4 checksums are checked.
# shellcheck disable=SC2016
peer_py='
import json, select, socket, struct, sys, time
'"$net_udp_py"'
out, count, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
p.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
p.bind(("tap0", 0))
open(flag, "w").close()
rec = dict(frames=0, lens=[], partial=0, csum_ok=0)
end = time.time() + 15
while time.time() < end:
    r, _, _ = select.select([p], [], [], 0.2)
    if not r:
        if rec["frames"] >= count:
            break  # 0.2 s quiet after the last expected frame: none beyond them
        continue
    data, anc, _, addr = p.recvmsg(70000, socket.CMSG_SPACE(32))
    if addr[2] == 4 or data[6:12] != bytes.fromhex("525400123456"):
        continue
    st = 0
    for level, kind, v in anc:
        if level == 263 and kind == 8:
            st = struct.unpack("I", v[:4])[0]
    ip = data[14:]
    rec["frames"] += 1
    rec["lens"].append(len(data))
    if st & 8:  # TP_STATUS_CSUMNOTREADY
        rec["partial"] += 1
        continue
    ihl, proto = (ip[0] & 15) * 4, ip[9]
    l4 = bytearray(ip[ihl:struct.unpack("!H", ip[2:4])[0]])
    pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
    if csum(bytes(ip[:ihl])) == 0xffff and csum(pseudo + bytes(l4)) == 0xffff:
        rec["csum_ok"] += 1
json.dump(rec, open(out, "w"))
print(json.dumps(rec))
'

# Checks the metrics: KEY=VALUE with dotted paths into the net object; every drop, offload
# error, verify kind and soft error not named is 0.
# shellcheck disable=SC2016
check_py='
import json, sys
n = json.load(open(sys.argv[1]))["devices"][0]["net"]
want = dict(kv.split("=") for kv in sys.argv[2:])
errs = []
for group in ("drops", "tx_offload_errors", "verify", "soft_errors"):
    for k, v in n[group].items():
        if v != int(want.pop(group + "." + k, 0)):
            errs.append("%s.%s=%d" % (group, k, v))
for k, v in want.items():
    if n[k] != int(v):
        errs.append("%s=%d, want %s" % (k, n[k], v))
print("; ".join(errs))
'
check() { # NAME KEY=VALUE...
	local name=$1 bad
	shift
	bad=$("$py" -c "$check_py" "$dir/$name.json" "$@") || fail "$name: cannot read the metrics"
	[[ -z $bad ]] || fail "$name: minnow counters: $bad"
}

KINDS=(verify.csum_start=1 verify.csum_offset=1 verify.hdr_len=1 verify.gso_type=1 verify.csum_partial=1)
# The frame validation refuses: counted once as an offload error and a drop.
SENT=(tx_packets=7 tx_dropped=1 tx_offload_errors.l3=1 tx_csum=7 tx_tso=2)

run() { # NAME NET-OPTIONS WIRE-FRAMES
	local name=$1 opts=$2 frames=$3
	peer "$name" "$ns" "$dir/$name.wire" "$frames"
	vm "$name" "$args" "$opts"
	peer_wait "$name"
	expect "$name" "$dir/$name.out" sent=8 cases=8 dev_errors=0
}

run verify-on ",verify=on,pcap=$dir/verify-on.pcapng" 7
check verify-on "${SENT[@]}" verify_frames=8 verify_bad=5 "${KINDS[@]}" soft_frames=0
# One log line per wrong frame, naming its kind and the header's offsets.
[[ $(grep -c 'verify: TX frame' "$dir/verify-on.err") == 5 ]] ||
	fail "verify-on: want 5 verify lines: $(cat "$dir/verify-on.err")"
for line in "csum_start: flags 0x1 csum_start 30 csum_offset 16 " \
	"csum_offset: flags 0x1 csum_start 34 csum_offset 6 " \
	"hdr_len: flags 0x1 csum_start 34 csum_offset 16 hdr_len 20 gso_type 1 gso_size 100 " \
	"gso_type: flags 0x1 csum_start 34 csum_offset 16 hdr_len 54 gso_type 4 gso_size 100 " \
	"csum_partial: flags 0x1 csum_start 34 csum_offset 16 hdr_len 0 gso_type 0 gso_size 0 | len 254 l3 14 l4 34 l4_len 20 ipv4 proto 6 csum 0x1234"; do
	grep -qF "$line" "$dir/verify-on.err" || fail "verify-on: no log line with '$line': $(cat "$dir/verify-on.err")"
done
# The capture annotates exactly those 5 packets with the same words (tshark reads them back).
tshark -r "$dir/verify-on.pcapng" -T fields -e frame.comment >"$dir/verify-on.comments" 2>&1 ||
	fail "verify-on: tshark cannot read the capture: $(cat "$dir/verify-on.comments")"
[[ $(grep -c '; verify: ' "$dir/verify-on.comments") == 5 && $(grep -c '^tx ' "$dir/verify-on.comments") == 8 ]] ||
	fail "verify-on: want 8 TX records, 5 with a verify note: $(cat "$dir/verify-on.comments")"
grep -qF "verdict=dropped reason=tx_offload_errors.l3 flags=0x1 gso_type=4" "$dir/verify-on.comments" ||
	fail "verify-on: the refused frame's record: $(cat "$dir/verify-on.comments")"
for line in "csum_start: flags 0x1 csum_start 30 csum_offset 16 " \
	"csum_offset: flags 0x1 csum_start 34 csum_offset 6 " \
	"gso_type: flags 0x1 csum_start 34 csum_offset 16 hdr_len 54 gso_type 4 gso_size 100 "; do
	grep -qF "; verify: $line" "$dir/verify-on.comments" ||
		fail "verify-on: no capture comment with '$line': $(cat "$dir/verify-on.comments")"
done
# Through the tap's offloads the kernel keeps the requests: 5 partial checksums, 2 super-frames
# (each longer than its 2 segments), and the UDP and dropped frames aside.
expect verify-on "$dir/verify-on.wire" frames=7 partial=7

run verify-off "" 7
check verify-off "${SENT[@]}" verify_frames=0 verify_bad=0 soft_frames=0
! grep -q 'verify:' "$dir/verify-off.err" || fail "verify-off: $(cat "$dir/verify-off.err")"

run soft ",verify=on,offload=soft" 9
check soft "${SENT[@]}" verify_frames=8 verify_bad=5 "${KINDS[@]}" soft_frames=7 soft_segments=9
# Plain frames only: no partial checksum reaches the kernel. The right ones (2 checksummed, 2
# segments of the right TSO frame, 2 of the one with the wrong hdr_len, which segmentation does
# not use) carry right checksums; the ones summed where the guest said (wrong start, offset or
# partial sum) do not.
expect soft "$dir/soft.wire" frames=9 partial=0 csum_ok=6
echo "PASS: verify=on reports exactly the 5 wrong requests by kind, in the log and the capture; offload=soft sends 9 plain frames"
