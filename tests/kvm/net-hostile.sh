#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe as a hostile virtio-net driver against minnow on a real tap (probe.mode=net-hostile):
# one bad chain or header per run on the TX or RX queue (docs/catalogue.md H27-H34,
# O1-O22), then a good datagram must still go out (TX cases) or come in (RX cases).
# Each run checks the probe's verdict (the bad chain back with length 0 and untouched), what a
# python peer in the netns saw (datagrams on its socket, frames from the guest on the tap), and
# minnow's --metrics counters exactly: the one drop or offload error the case causes, and 0 for
# every other. Everything runs in a network namespace this script creates and deletes (DESIGN §1).
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2
# The third argument picks the cases: "data" (default: the TX and RX queues) or "ctrl" (the
# control queue, docs/catalogue.md H35, on a multi-queue tap with 2 pairs: kvm-net-ctrl).
set=${3:-data} net_opts=
if [[ $set == ctrl ]]; then
	net_tap_mq=1 net_opts=,queues=2
fi
# NET_HOSTILE_CASES="NAME ...": run only these cases (when debugging one).
only=" ${NET_HOSTILE_CASES:-} "

# On exit, the peer's FIFO (fd 3) is closed first.
net_cleanup_hook() { exec 3>&- 2>/dev/null; }
# The guest never ARPs (probe.peer_mac) and the host never has to.
net_guest_tap net-hostile
port=5000 size=64

# The host-side peer, one for the whole run, driven through a FIFO: "begin NAME" clears its
# records (and creates DIR/NAME.begun), "end NAME" waits 0.15 s for late frames and writes
# DIR/NAME.peer. It answers the guest's "ready:SIZE" datagram with one datagram (pattern index
# 0, SIZE bytes), records every other datagram's pattern index, and records every frame the guest
# put on the tap (AF_PACKET, all ethertypes; a VLAN tag the kernel took off is put back in the
# record from PACKET_AUXDATA), checking the UDP checksum of each (a partial one finished as a
# NIC would).
# shellcheck disable=SC2016
peer_py='
import json, os, select, socket, struct, sys, time

port, guest, ctl, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
guest = bytes.fromhex(guest.replace(":", ""))
'"$net_udp_py"'
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", port))
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
p.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
p.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
p.bind(("tap0", 0))
c = os.open(ctl, os.O_RDONLY)
rec, pending = None, b""

def fresh():
    return dict(ready=0, dgrams=[], bad_dgrams=0, wire=0, wire_types=[], wire_lens=[], csum_bad=0)

def take(sock):
    if sock is s:
        data, addr = s.recvfrom(65536)
        if rec is None:
            return
        if data.startswith(b"ready:"):
            rec["ready"] += 1
            s.sendto(pattern(0, int(data[6:])), addr)
            return
        i = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else -1
        if data == pattern(i, len(data)):
            rec["dgrams"].append(i)
        else:
            rec["bad_dgrams"] += 1
        return
    data, anc, _, addr = p.recvmsg(70000, socket.CMSG_SPACE(32))
    if rec is None or addr[2] == 4 or data[6:12] != guest:  # PACKET_OUTGOING: ours to the guest
        return
    st, tci, tpid = 0, 0, 0
    for level, kind, v in anc:
        if level == 263 and kind == 8:
            st, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", v[:20])
    etype, n = struct.unpack("!H", data[12:14])[0], len(data)
    if st & 0x10:  # TP_STATUS_VLAN_VALID: the kernel took the tag off
        etype, n = (tpid if st & 0x40 else 0x8100), n + 4
    rec["wire"] += 1
    rec["wire_types"].append("%04x" % etype)
    rec["wire_lens"].append(n)
    ip = data[14:]
    if struct.unpack("!H", data[12:14])[0] == 0x0800 and len(ip) >= 28 and ip[9] == 17:
        rec["csum_bad"] += not udp_ok(ip, st & 8)  # TP_STATUS_CSUMNOTREADY

while True:
    r, _, _ = select.select([s, p, c], [], [], 1.0)
    for sock in (s, p):
        if sock in r:
            take(sock)
    if c not in r:
        continue
    chunk = os.read(c, 4096)
    if not chunk:
        break
    pending += chunk
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        cmd, name = line.decode().split()
        if cmd == "begin":
            rec = fresh()
            open(os.path.join(out, name + ".begun"), "w").close()
        else:
            end = time.time() + 0.15
            while time.time() < end:
                r, _, _ = select.select([s, p], [], [], max(0, end - time.time()))
                for sock in (s, p):
                    if sock in r:
                        take(sock)
            rec["dgrams"] = ",".join(map(str, rec["dgrams"])) or "none"
            rec["wire_types"] = ",".join(rec["wire_types"]) or "none"
            rec["wire_lens"] = ",".join(map(str, rec["wire_lens"])) or "none"
            tmp = os.path.join(out, name + ".tmp")
            json.dump(rec, open(tmp, "w"))
            os.rename(tmp, os.path.join(out, name + ".peer"))
            rec = None
'

# Compares minnow's metrics, the probe's line and the peer's record with the expectations:
# KEY=VALUE words, KEY one of n.X (the "net" object), d.X (drops), o.X (tx_offload_errors),
# t.X (transport), e.X (driver_errors), v.X (the device: tap_offloads), q0.X/q1.X (RX/TX queue), b0.X/b1.X (their bad_chains),
# c.X (the control queue's counters and state), ce.X (its errors by reason), cm.X (its MAC
# table), qp.X (queue_pairs), qc.X/bc.X (the last ring and its
# bad_chains: the control queue when the probe set one up),
# p.X (the peer), g.X (the probe). VALUE: a number or string, or a sum of numbers and g.X.
# Every key of d, o, e, b0, b1, ce not named must be 0. Prints the differences.
check_py='
import json, sys
m = json.load(open(sys.argv[1]))
g = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{\"probe\"")][-1]
peer = json.load(open(sys.argv[3]))
d = m["devices"][0]
n = d["net"]
got = {}
for pre, obj in (("n", n), ("d", n["drops"]), ("o", n["tx_offload_errors"]),
                 ("t", d["transport"]), ("e", d["transport"]["driver_errors"]),
                 ("q0", d["queues"][0]), ("q1", d["queues"][1]),
                 ("b0", d["queues"][0]["bad_chains"]), ("b1", d["queues"][1]["bad_chains"]),
                 ("v", d), ("p", peer), ("g", g), ("c", n.get("ctrl", {})),
                 ("ce", n.get("ctrl", {}).get("errors", {})),
                 ("cm", n.get("ctrl", {}).get("mac_table", {})), ("qp", n.get("queue_pairs", {})),
                 ("qc", d["queues"][-1] if "ctrl_queue" in g else {}),
                 ("bc", d["queues"][-1]["bad_chains"] if "ctrl_queue" in g else {})):
    for k, v in obj.items():
        if not isinstance(v, (dict, list)):
            got[pre + "." + k] = v
want = {}
for k in got:
    if k.split(".")[0] in ("d", "o", "e", "b0", "b1", "ce"):
        want[k] = "0"
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    want[k] = v
def value(v):
    terms = v.split("+")
    if len(terms) > 1 or v.startswith("g."):
        return str(sum(int(got[t]) if t.startswith("g.") else int(t) for t in terms))
    return v
errs = []
for k, v in sorted(want.items()):
    try:
        w = value(v)
    except KeyError as e:
        errs.append("%s: no %s" % (k, e))
        continue
    have = got.get(k, "missing")
    if isinstance(have, bool):
        have = "true" if have else "false"
    if str(have) != w:
        errs.append("%s=%s, want %s" % (k, have, w))
print("; ".join(errs))
'

mkfifo "$dir/ctl"
ip netns exec "$ns" "$py" -c "$peer_py" $port $guest_mac "$dir/ctl" "$dir" \
	>"$dir/peer.log" 2>&1 &
peer_pid=$!
exec 3>"$dir/ctl"

wait_file() { # FILE WHAT
	for _ in $(seq 500); do
		[[ -e $1 ]] && return
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.01
	done
	fail "$2: the peer did not answer: $(cat "$dir/peer.log")"
}

LOG_MAX=12
ip4="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=$port probe.peer_mac=$tap_mac"
total_start=$(date +%s%N)

# run NAME 'KEY=VALUE ...': one minnow run of the case in the netns with the peer listening.
run() {
	local name=$1 expect=$2 status=0 start end bad lines
	local out=$dir/$name.out err=$dir/$name.err m=$dir/$name.json
	[[ $only == "  " || $only == *" $name "* ]] || return 0
	if [[ $set == ctrl ]]; then
		[[ $name == ctrl_* ]] || return 0
	elif [[ $name == ctrl_* ]]; then
		return 0
	fi
	echo "begin $name" >&3
	wait_file "$dir/$name.begun" "$name"
	start=$(date +%s%N)
	nsx timeout 20 "$minnow" run -m 64M -k "$probe" --net "tap=tap0,mac=$guest_mac$net_opts" \
		--metrics "$m" -p "probe.mode=net-hostile probe.case=$name $ip4 probe.size=$size" \
		</dev/null >"$out" 2>"$err" || status=$?
	end=$(date +%s%N)
	echo "end $name" >&3
	wait_file "$dir/$name.peer" "$name"
	[[ $status -eq 0 ]] || fail "$name: minnow exit $status: $(cat "$out" "$err")"
	grep -q "^{\"probe\":\"net-hostile\",\"case\":\"$name\",\"ok\":true," "$out" ||
		fail "$name: $(cat "$out")"
	# shellcheck disable=SC2086 # the expectations are words
	bad=$("$py" -c "$check_py" "$m" "$out" "$dir/$name.peer" $expect) ||
		fail "$name: cannot read the results: $(cat "$out" "$m" "$dir/$name.peer")"
	[[ -z $bad ]] || fail "$name: $bad
probe: $(cat "$out")
peer: $(cat "$dir/$name.peer")
metrics: $(cat "$m")"
	# Drops are logged at a bounded rate (10 lines, then 1 a second): a run has few lines.
	lines=$(wc -l <"$err")
	((lines <= LOG_MAX)) || fail "$name: $lines lines on minnow's stderr: $(head -20 "$err")"
	echo "ok: $name ($(((end - start) / 1000000)) ms, $lines log lines): $(cut -c1-130 "$out")"
}

# The common part: the device live at the end (Status 15), no interrupt (the driver polls and
# says VIRTQ_AVAIL_F_NO_INTERRUPT), no kick through userspace, no queue broken, nothing
# through the offload paths unless named, no EAGAIN.
COMMON='t.status=15 t.interrupts=0 t.userspace_kicks=0 n.interrupts=0 q0.broken=no q1.broken=no
n.tx_csum=0 n.tx_tso=0 n.tx_uso=0 n.rx_data_valid=0 n.rx_csum_partial=0 n.rx_gso=0 n.rx_merged=0
n.tx_eagain=0 n.rx_eagain=0 p.bad_dgrams=0 p.csum_bad=0'
# TX: the case's chain (descriptor 3) and the good datagram (index 1) on the TX queue, nothing on
# the RX queue. Dropped: only the good datagram went out, on the socket and on the wire.
TX="$COMMON q0.chains=0 q0.next_avail=0 q0.next_used=0 q1.next_avail=2 q1.next_used=2
n.rx_packets=0 n.rx_bytes=0 n.rx_dropped=0 p.ready=0 g.bad_id=3 g.good_len=106"
TX_DROP="$TX q1.chains=2 n.tx_packets=1 n.tx_bytes=g.good_len n.tx_dropped=1 p.dgrams=1 p.wire=1
p.wire_types=0800 p.wire_lens=106"
# Sent: the case's frame went out first, then the good one.
TX_SENT="$TX q1.chains=2 n.tx_packets=2 n.tx_bytes=g.good_len+g.bad_frame_len n.tx_dropped=0
p.wire=2"
# RX: the case's chain (descriptor 3) and a good buffer (255) on the RX queue, "ready" on the TX
# queue; the peer's datagram (64 bytes, a 106-byte frame) in the good buffer.
RX="$COMMON q1.chains=1 q1.next_avail=1 q1.next_used=1 n.tx_packets=1 n.tx_bytes=g.ready_len
n.tx_dropped=0 n.rx_packets=1 n.rx_bytes=106 g.rx_frame_len=106 g.num_buffers=1 p.ready=1
p.dgrams=none p.wire=1 p.wire_types=0800 p.wire_lens=50 g.ready_len=50"
RX_DROP="$RX q0.chains=2 q0.next_avail=2 q0.next_used=2 n.rx_dropped=1 g.bad_id=3 g.bad_used_len=0
g.good_id=255"

# -- TX: chains too short or too long (H27-H28, O14-O15) --
run tx_chain_shorter_than_header "$TX_DROP d.tx_short_chain=1 g.bad_frame_len=0"
run tx_header_only "$TX_DROP o.short=1 g.bad_frame_len=0"
run tx_frame_13_bytes "$TX_DROP o.short=1 g.bad_frame_len=13"
# Exactly an Ethernet header: the shortest frame there is.
run tx_frame_14_bytes "$TX_SENT p.dgrams=1 p.wire_types=88b5,0800 p.wire_lens=14,106 g.bad_frame_len=14"
run tx_frame_too_long "$TX_DROP o.long=1 g.bad_frame_len=65551 g.bad_pieces=6"
run tx_frame_max "$TX_SENT p.dgrams=1 p.wire_types=88b5,0800 p.wire_lens=65550,106 g.bad_frame_len=65550"
# -- TX: direction (H22, H34; O16) --
run tx_writable_descriptor "$TX_DROP d.tx_writable=1 g.bad_frame_len=106"
run rx_buffer_on_tx_queue "$TX_DROP d.tx_writable=1"
# -- TX: checksum requests (H30; O4-O6) --
run tx_csum_not_negotiated "$TX_DROP o.csum_not_negotiated=1"
run tx_csum_start_past_frame "$TX_DROP o.csum_range=1"
run tx_csum_start_in_l2 "$TX_DROP o.csum_range=1"
run tx_csum_field_past_frame "$TX_DROP o.csum_range=1"
run tx_csum_16bit_wrap "$TX_DROP o.csum_range=1"
run tx_csum_offset_10 "$TX_DROP o.csum_offset=1"
# -- TX: segmentation requests (H29; O8-O10) --
run tx_gso_size_0 "$TX_DROP o.gso_size=1"
run tx_gso_without_needs_csum "$TX_DROP o.gso_no_csum=1"
run tx_gso_not_negotiated "$TX_DROP o.gso_not_negotiated=1"
run tx_gso_ufo "$TX_DROP o.gso_type=1"
run tx_gso_unknown_type "$TX_DROP o.gso_type=1"
run tx_ecn_without_host_ecn "$TX_DROP o.gso_type=1"
run tx_ecn_without_gso "$TX_DROP o.gso_type=1"
run tx_gso_tcp_header_short "$TX_DROP o.gso_headers=1"
run tx_gso_tcp_with_udp_csum "$TX_DROP o.csum_offset=1"
# -- TX: tags (§9 3): a partial checksum behind QinQ never goes out; without one it does, and
# one 802.1Q tag with a partial checksum is finished and sent. The kernel drops tagged frames
# for want of a VLAN device, so only the capture sees them.
run tx_qinq_frame_with_csum "$TX_DROP o.l3=1"
run tx_qinq_frame_without_csum "$TX_SENT p.dgrams=1 p.wire_types=88a8,0800 p.wire_lens=110,106"
run tx_vlan_frame_with_csum "$TX_SENT n.tx_csum=1 p.dgrams=1 p.wire_types=8100,0800 p.wire_lens=110,106"
# -- TX: fields the device must ignore (H31; O11-O12): sent --
FIELDS="$TX_SENT p.dgrams=0,1 p.wire_types=0800,0800 p.wire_lens=106,106 g.bad_frame_len=106"
run tx_num_buffers_nonzero "$FIELDS"
run tx_hdr_len_garbage "$FIELDS n.tx_csum=1"
run tx_data_valid_flag_set "$FIELDS"
run tx_unknown_flags "$FIELDS"
# -- TX: layouts (§9 13, 18) --
run tx_header_split "$FIELDS g.bad_pieces=3"
run tx_zero_length_descriptors "$FIELDS g.bad_pieces=5"
run tx_many_segments "$TX_DROP d.tx_segments=1 g.bad_pieces=65"
run tx_segments_64 "$FIELDS g.bad_pieces=65"
# 10000 bad requests in batches of 128: all dropped and counted, the log rate-limited.
run tx_drop_flood "$COMMON q0.chains=0 q0.next_avail=0 q0.next_used=0 q1.chains=10001
q1.next_avail=10001 q1.next_used=10001 n.rx_packets=0 n.rx_bytes=0 n.rx_dropped=0 p.ready=0
n.tx_packets=1 n.tx_bytes=g.good_len n.tx_dropped=10000 o.csum_offset=10000 p.dgrams=1 p.wire=1
p.wire_types=0800 p.wire_lens=106 g.flood=10000 g.good_len=106"
# The same head twice in one batch: the first use goes out and comes back, the second breaks the
# queue (DEVICE_NEEDS_RESET with its configuration interrupt, never a second completion: O19); after a reset and
# a fresh setup (new queues in --metrics) the good datagram goes out.
run tx_duplicate_head "$TX q1.chains=1 q1.next_avail=1 q1.next_used=1 n.tx_packets=2
n.tx_bytes=g.good_len+g.bad_frame_len n.tx_dropped=0 p.dgrams=0,1 p.wire=2 p.wire_types=0800,0800
p.wire_lens=106,106 g.needs_reset=1 t.interrupts=1"

# A descriptor outside guest RAM: refused by the ring layer (the reason in the queue's bad_chains)
# and counted in tx_dropped (DESIGN §5).
run tx_addr_outside_ram "$TX q1.chains=1 n.tx_packets=1 n.tx_bytes=g.good_len n.tx_dropped=1 b1.address=1
p.dgrams=1 p.wire=1 p.wire_types=0800 p.wire_lens=106"

# HOST_TSO4 and GUEST_TSO4 acked without CSUM and GUEST_CSUM: FEATURES_OK refused (Status reads
# ACKNOWLEDGE | DRIVER) and counted once; then FAILED, the base features and the good datagram.
run features_dependency_broken "$TX g.bad_id=missing q1.chains=1 q1.next_avail=1 q1.next_used=1 n.tx_packets=1
n.tx_bytes=g.good_len n.tx_dropped=0 e.features=1 t.features=4295032872 g.status_refused=3
p.dgrams=1 p.wire=1 p.wire_types=0800 p.wire_lens=106"

# -- RX (H22, H32, H34; O26-O27) --
run rx_buffer_too_small "$RX_DROP d.rx_small_buffer=1"
run rx_buffer_one_short "$RX_DROP d.rx_small_buffer=1"
run rx_readonly_buffer "$RX_DROP d.rx_readonly=1"
run rx_mixed_read_write_buffer "$RX_DROP d.rx_readonly=1"
# Readable after writable: refused by the ring layer (bad_chains says why), counted in rx_dropped.
run rx_write_then_read "$RX_DROP q0.chains=1 b0.order=1"
run rx_zero_length_descriptor_only "$RX_DROP d.rx_small_buffer=1"
run rx_many_pieces "$RX_DROP d.rx_small_buffer=1 g.bad_pieces=65"
run rx_pieces_64 "$RX q0.chains=1 q0.next_avail=1 q0.next_used=1 n.rx_dropped=0 g.good_id=3 g.good_pieces=64"
# QueueNotify 2 (no control queue) and 5: each counted, nothing else happens.
run rx_notify_wrong_queue "$RX q0.chains=1 q0.next_avail=1 q0.next_used=1 n.rx_dropped=0 e.notify=2 g.good_id=255"
run tx_on_rx_queue "$RX_DROP d.rx_readonly=1"
# With MRG_RXBUF (one 1530-byte buffer takes the frame: num_buffers 1).
run rx_mrg_buffer_below_header "$RX_DROP d.rx_small_buffer=1"
run rx_mrg_readonly_buffer "$RX_DROP d.rx_readonly=1"
# The good buffer posted twice: the second use breaks the queue (DEVICE_NEEDS_RESET) before the
# peer sends; after a reset and a fresh setup the datagram comes into the good buffer.
run rx_duplicate_head "$RX q0.chains=1 q0.next_avail=1 q0.next_used=1 n.rx_dropped=0 g.good_id=255
g.needs_reset=1 t.interrupts=1"
# MRG_RXBUF, 512 bytes posted for a 1054-byte frame: held until 3 more buffers come, then merged
# over 3 of them (512 + 512 + 30 bytes, num_buffers 3); the fourth stays available.
run rx_mrg_ring_dry "$RX q0.chains=4 q0.next_avail=4 q0.next_used=3 n.rx_dropped=0 n.rx_merged=1
n.rx_bytes=1042 g.rx_frame_len=1042 g.num_buffers=3 g.ready_len=52 p.wire_lens=52 g.good_id=10"
# 128 buffers posted, then a reset: nothing written into the old rings or buffers; on the new
# rings the datagram comes; then 120 buffers more, of which minnow takes 64 (one read posted for
# each) and leaves the rest in the ring: it ends with 64 reads to cancel. --metrics shows the new
# queues; the device's counters run on across the reset.
# 128 MRG buffers of 12 bytes: the 118-byte frame takes 10 of them.
run rx_mrg_header_size_buffers "$RX q0.chains=128 q0.next_avail=128 q0.next_used=10 n.rx_dropped=0
n.rx_merged=1 g.num_buffers=10 g.good_id=3"
# GUEST_CSUM, so the host socket's datagram comes with NEEDS_CSUM (finished and checked by the
# probe); then a reset, no GUEST_CSUM, and the tap's offloads must be off: the next datagram
# comes complete with flags 0, not dropped as rx_offload.
run rx_renegotiate_fewer_offloads "$RX q0.chains=1 q0.next_avail=1 q0.next_used=1 n.rx_dropped=0
n.tx_packets=2 n.tx_bytes=100 n.rx_packets=2 n.rx_bytes=212 n.rx_csum_partial=1 p.ready=2 p.wire=2
p.wire_types=0800,0800 p.wire_lens=50,50 v.tap_offloads=0 g.first_flags=1 g.rx_flags=0
g.good_id=255 t.features=4295032872"
run rx_reset_with_reads_in_flight "$RX q0.chains=65 q0.next_avail=65 q0.next_used=1 n.rx_dropped=0
g.good_id=255 g.reset_bufs=128 g.exit_bufs=120 g.old_rx_used_idx=0"

# -- the control queue (H35), kvm-net-ctrl: a multi-queue tap, queues=2 (the control queue is 4
# with MQ negotiated, 2 without). Each case: its command on the control queue, then a good
# command (VIRTIO_NET_OK: PROMISC on with CTRL_RX, else GUEST_OFFLOADS_SET 0), then the good
# datagram on TX queue 1. A refused command: VIRTIO_NET_ERR in the ack with used length 1, or
# used length 0 and the ack untouched (0xa5) when there is no writable ack; counted by reason.
CTRL="$COMMON q0.chains=0 q0.next_avail=0 q0.next_used=0 q1.chains=1 q1.next_avail=1 q1.next_used=1
n.rx_packets=0 n.rx_bytes=0 n.rx_dropped=0 n.tx_packets=1 n.tx_bytes=g.good_len n.tx_dropped=0
p.ready=0 p.dgrams=1 p.wire=1 p.wire_types=0800 p.wire_lens=106 g.good_len=106 g.bad_id=3
g.good_ack=0 qc.chains=2 qc.next_avail=2 qc.next_used=2 qc.broken=no c.commands=2 qp.max=2"
CTRL_ERR="$CTRL c.ok=1 c.err=1 g.ack=1 g.bad_used_len=1"
CTRL_NOACK="$CTRL c.ok=1 c.err=1 g.ack=165 g.bad_used_len=0"
CTRL_OK="$CTRL c.ok=2 c.err=0 g.ack=0 g.bad_used_len=1"
# CTRL_VQ and CTRL_RX (control queue 2), the good command turns PROMISC on.
RXC="g.ctrl_queue=2 qp.active=1 c.promisc=true"
# With MQ: the control queue is 4.
MQC="g.ctrl_queue=4 g.max_pairs=2 c.promisc=true"
# The header (§5.1.6.5): short, missing, device-writable.
run ctrl_header_one_byte "$CTRL_ERR $RXC ce.short=1"
run ctrl_header_missing "$CTRL_ERR $RXC ce.short=1"
# The header device-writable: VIRTIO_NET_ERR in the first writable byte (0x0100: ERR, PROMISC).
run ctrl_header_writable "$CTRL_ERR $RXC ce.layout=1 g.ack=165 g.hdr_after=256"
# Class and command.
run ctrl_unknown_class "$CTRL_ERR $RXC ce.class=1"
run ctrl_rx_unknown_command "$CTRL_ERR $RXC ce.command=1"
run ctrl_mq_rss_config "$CTRL_ERR $MQC qp.active=1 ce.not_negotiated=1"
# A class whose feature was not negotiated (CTRL_VQ and CTRL_GUEST_OFFLOADS only, or CTRL_RX).
run ctrl_rx_not_negotiated "$CTRL_ERR g.ctrl_queue=2 c.guest_offloads=0 ce.not_negotiated=1"
run ctrl_mac_table_not_negotiated "$CTRL_ERR g.ctrl_queue=2 c.guest_offloads=0 ce.not_negotiated=1"
run ctrl_mac_addr_not_negotiated "$CTRL_ERR $RXC ce.not_negotiated=1"
run ctrl_mq_not_negotiated "$CTRL_ERR $RXC ce.not_negotiated=1"
run ctrl_offloads_not_negotiated "$CTRL_ERR $RXC ce.not_negotiated=1"
# The ack: read-only or missing (nothing to write: used length 0); two writable bytes (not the
# layout of §5.1.6.5: refused, VIRTIO_NET_ERR in the first); the ring refusing the chain
# (writable before readable: used length 0); over 16 KiB of command (a MAC table of ~2700).
run ctrl_ack_readonly "$CTRL_NOACK $RXC ce.no_ack=1"
run ctrl_no_ack "$CTRL_NOACK $RXC ce.no_ack=1"
run ctrl_ack_two_bytes "$CTRL_ERR $RXC c.allmulti=false ce.layout=1"
run ctrl_write_then_read "$CTRL_NOACK $RXC ce.chain=1 qc.chains=1 bc.order=1"
run ctrl_command_too_long "$CTRL_ERR $RXC ce.layout=1"
# Class, command and data in three descriptors: allowed.
run ctrl_split_pieces "$CTRL_OK $RXC c.allmulti=true"
# The data's length.
run ctrl_promisc_no_data "$CTRL_ERR $RXC ce.length=1"
run ctrl_promisc_two_bytes "$CTRL_ERR $RXC ce.length=1"
run ctrl_pairs_one_byte "$CTRL_ERR $MQC qp.active=1 ce.length=1"
run ctrl_offloads_four_bytes "$CTRL_ERR $RXC ce.length=1"
run ctrl_mac_addr_five_bytes "$CTRL_ERR $RXC ce.length=1"
# MAC tables (§5.1.6.5.2): counts that do not fit the data, trailing bytes; then a good one.
run ctrl_mac_table_unicast_overflow "$CTRL_ERR $RXC ce.mac_table=1 cm.unicast=0 cm.multicast=0"
run ctrl_mac_table_count_huge "$CTRL_ERR $RXC ce.mac_table=1 cm.unicast=0 cm.multicast=0"
run ctrl_mac_table_no_multicast "$CTRL_ERR $RXC ce.mac_table=1 cm.unicast=0 cm.multicast=0"
run ctrl_mac_table_trailing "$CTRL_ERR $RXC ce.mac_table=1 cm.unicast=0 cm.multicast=0"
run ctrl_mac_table_good "$CTRL_OK $RXC cm.unicast=2 cm.multicast=1"
run ctrl_mac_addr_set "$CTRL_OK $RXC c.mac=52:54:00:ab:cd:ef"
# GUEST_OFFLOADS_SET (§5.1.6.5.6.2): 0 is allowed, an offload not negotiated is not.
run ctrl_offloads_set_zero "$CTRL_OK $RXC c.guest_offloads=0"
run ctrl_offloads_unnegotiated_bit "$CTRL_ERR $RXC c.guest_offloads=0 ce.offloads=1"
# VQ_PAIRS_SET (§5.1.6.5.5): 1 to max_virtqueue_pairs (2).
run ctrl_pairs_zero "$CTRL_ERR $MQC qp.active=1 g.pairs=0 ce.pairs=1"
run ctrl_pairs_above_max "$CTRL_ERR $MQC qp.active=1 g.pairs=3 ce.pairs=1"
run ctrl_pairs_0x8001 "$CTRL_ERR $MQC qp.active=1 g.pairs=32769 ce.pairs=1"
# Pair 1's queues not set up (§5.1.6.5.5: the driver MUST first): refused.
run ctrl_pairs_not_set_up "$CTRL_ERR $MQC qp.active=1 g.pairs=2 ce.pairs=1"
# A reset, both pairs' queues set up, VQ_PAIRS_SET 2: OK (--metrics shows the new rings).
run ctrl_pairs_max "$CTRL_OK $MQC qp.active=2 g.pairs=2"

exec 3>&-
wait "$peer_pid" || fail "the peer failed: $(cat "$dir/peer.log")"
peer_pid=
echo "all cases passed in $((($(date +%s%N) - total_start) / 1000000)) ms"
