// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/vnet_hdr, RX side and features: the guest's RX header from the
// backend's metadata (docs/catalogue.md O23-O25, O28), the tap's header read back, the offered
// features and their dependencies, and the tap's offload flags (D30-D33).
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/tap.h"
#include "net/tap_hdr.h"
#include "tests/unit/suites.h"

#define F(x)	  VIRTIO_BIT(VIRTIO_NET_F_##x)
#define NEG_RX	  (F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_ECN) | F(GUEST_USO4) | \
		   F(GUEST_USO6))
#define NEG_TX	  (F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_ECN) | F(HOST_USO))
#define NEEDS	  VIRTIO_NET_HDR_F_NEEDS_CSUM
#define VALID	  VIRTIO_NET_HDR_F_DATA_VALID
#define ECN	  VIRTIO_NET_HDR_GSO_ECN
#define TUN_F_ALL (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6)

/* Builds the RX header, expecting success, and checks every field. */
#define ck_rx(meta, neg, nb, fl, gso, hlen, gsz, start, off)                                       \
	do {                                                                                       \
		struct virtio_net_hdr_v1 o_;                                                       \
		memset(&o_, 0xee, sizeof(o_));                                                     \
		ck_assert(vnet_hdr_rx_build((meta), (neg), (nb), &o_));                            \
		ck_assert_uint_eq(o_.flags, (fl));                                                 \
		ck_assert_uint_eq(o_.gso_type, (gso));                                             \
		ck_assert_uint_eq(le16toh(o_.hdr_len), (hlen));                                    \
		ck_assert_uint_eq(le16toh(o_.gso_size), (gsz));                                    \
		ck_assert_uint_eq(le16toh(o_.csum_start), (start));                                \
		ck_assert_uint_eq(le16toh(o_.csum_offset), (off));                                 \
		ck_assert_uint_eq(le16toh(o_.num_buffers), (nb));                                  \
	} while (0)

#define ck_rx_drop(meta, neg)                                                                      \
	do {                                                                                       \
		struct virtio_net_hdr_v1 o_;                                                       \
		ck_assert(!vnet_hdr_rx_build((meta), (neg), 1, &o_));                              \
	} while (0)

static struct net_rx_meta csum(enum net_csum_state ip, enum net_csum_state l4)
{
	return (struct net_rx_meta){ .ip_csum = ip, .l4_csum = l4 };
}

/* A TCP/UDP super-frame with a partial checksum, as tun hands one up. */
static struct net_rx_meta gso(enum net_rx_gso type, bool ecn, uint16_t size)
{
	return (struct net_rx_meta){ .csum_partial = true, .csum_start = 34,
				     .csum_offset = type == NET_RX_GSO_UDP_L4 ? 6 : 16,
				     .gso = type, .gso_ecn = ecn, .gso_size = size,
				     .hdr_len = 66 };
}

START_TEST(test_rx_data_valid_table)
{
	static const struct {
		enum net_csum_state ip, l4;
		bool valid;
	} rows[] = {
		/* C23, seed rx_offload_data_valid_*, OpenVMM's is_valid() on both. */
		{ NET_CSUM_GOOD, NET_CSUM_GOOD, true },
		{ NET_CSUM_UNKNOWN, NET_CSUM_UNKNOWN, false },
		{ NET_CSUM_UNKNOWN, NET_CSUM_GOOD, false },
		{ NET_CSUM_GOOD, NET_CSUM_UNKNOWN, false },
		{ NET_CSUM_GOOD, NET_CSUM_BAD, false },
		{ NET_CSUM_BAD, NET_CSUM_GOOD, false },
		{ NET_CSUM_GOOD, NET_CSUM_VALIDATED_WRONG, true },
		{ NET_CSUM_VALIDATED_WRONG, NET_CSUM_VALIDATED_WRONG, true },
		{ NET_CSUM_VALIDATED_WRONG, NET_CSUM_BAD, false },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(rows); i++) {
		struct net_rx_meta m = csum(rows[i].ip, rows[i].l4);

		ck_rx(&m, F(GUEST_CSUM), 1, rows[i].valid ? VALID : 0, 0, 0, 0, 0, 0);
		ck_rx(&m, NEG_RX | NEG_TX, 1, rows[i].valid ? VALID : 0, 0, 0, 0, 0, 0);
	}
}
END_TEST

START_TEST(test_rx_data_valid_needs_guest_csum)
{
	struct net_rx_meta m = csum(NET_CSUM_GOOD, NET_CSUM_GOOD);

	/* §5.1.6.4.1: without GUEST_CSUM, flags MUST be 0 (strict; OpenVMM sets it anyway). */
	ck_rx(&m, 0, 1, 0, 0, 0, 0, 0, 0);
	ck_rx(&m, NEG_TX | (NEG_RX & ~F(GUEST_CSUM)), 1, 0, 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_rx_num_buffers_written)
{
	static const uint16_t nbs[] = { 0, 1, 2, 17, 0x1234, 0xffff };
	struct net_rx_meta m = { 0 };

	/* C25, C28: tun skips bytes 10-11; the device MUST write them (§5.1.6.3.2). */
	for (unsigned int i = 0; i < ARRAY_SIZE(nbs); i++) {
		ck_rx(&m, 0, nbs[i], 0, 0, 0, 0, 0, 0);
		m = gso(NET_RX_GSO_TCPV4, false, 1448);
		ck_rx(&m, NEG_RX, nbs[i], NEEDS, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
		m = (struct net_rx_meta){ 0 };
	}
}
END_TEST

START_TEST(test_rx_needs_csum_gated)
{
	struct net_rx_meta m = { .csum_partial = true, .csum_start = 54, .csum_offset = 6 };

	/* C24: a partial checksum only for a guest that can finish it ... */
	ck_rx(&m, F(GUEST_CSUM), 1, NEEDS, 0, 0, 0, 54, 6);
	ck_rx_drop(&m, 0);
	ck_rx_drop(&m, NEG_TX | (NEG_RX & ~F(GUEST_CSUM)));
	/* ... and NEEDS_CSUM wins over DATA_VALID. */
	m.ip_csum = NET_CSUM_GOOD;
	m.l4_csum = NET_CSUM_GOOD;
	ck_rx(&m, F(GUEST_CSUM), 1, NEEDS, 0, 0, 0, 54, 6);
	/* Without csum_partial the start/offset stay out of the header. */
	m.csum_partial = false;
	ck_rx(&m, F(GUEST_CSUM), 1, VALID, 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_rx_gso_tcp_gated)
{
	struct net_rx_meta m = gso(NET_RX_GSO_TCPV4, false, 1448);

	/* C24: §5.1.6.4.1, TCPV4 only with GUEST_TSO4, TCPV6 only with GUEST_TSO6. */
	ck_rx(&m, F(GUEST_CSUM) | F(GUEST_TSO4), 1, NEEDS, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34,
	      16);
	ck_rx_drop(&m, F(GUEST_CSUM) | F(GUEST_TSO6));
	ck_rx_drop(&m, F(GUEST_CSUM) | NEG_TX);
	m = gso(NET_RX_GSO_TCPV6, false, 1428);
	ck_rx(&m, F(GUEST_CSUM) | F(GUEST_TSO6), 2, NEEDS, VIRTIO_NET_HDR_GSO_TCPV6, 66, 1428, 34,
	      16);
	ck_rx_drop(&m, F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_USO4) | F(GUEST_USO6));
	/* Without GUEST_CSUM the partial checksum alone is refused. */
	ck_rx_drop(&m, F(GUEST_TSO6));
}
END_TEST

START_TEST(test_rx_gso_uso_needs_both)
{
	struct net_rx_meta m = gso(NET_RX_GSO_UDP_L4, false, 1472);

	ck_rx(&m, F(GUEST_CSUM) | F(GUEST_USO4) | F(GUEST_USO6), 1, NEEDS,
	      VIRTIO_NET_HDR_GSO_UDP_L4, 66, 1472, 34, 6);
	ck_rx_drop(&m, F(GUEST_CSUM) | F(GUEST_USO4));
	ck_rx_drop(&m, F(GUEST_CSUM) | F(GUEST_USO6));
	ck_rx_drop(&m, F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6));
}
END_TEST

START_TEST(test_rx_gso_ecn_gated)
{
	struct net_rx_meta m = gso(NET_RX_GSO_TCPV4, true, 1448);

	/* §5.1.6.4.1: ECN-marked TSO only with GUEST_ECN, and then with the bit. */
	ck_rx(&m, NEG_RX, 1, NEEDS, VIRTIO_NET_HDR_GSO_TCPV4 | ECN, 66, 1448, 34, 16);
	ck_rx_drop(&m, NEG_RX & ~F(GUEST_ECN));
	/* ECN marks TCP super-frames only. */
	m = gso(NET_RX_GSO_UDP_L4, true, 1472);
	ck_rx_drop(&m, NEG_RX);
	/* Without GSO there is nothing to mark: the bit is dropped. */
	m = (struct net_rx_meta){ .gso_ecn = true, .gso_size = 5, .hdr_len = 5 };
	ck_rx(&m, NEG_RX, 1, 0, 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_rx_gso_malformed_dropped)
{
	struct net_rx_meta m = gso(NET_RX_GSO_TCPV4, false, 1448);

	/* §5.1.6.4.1: a GSO packet MUST carry NEEDS_CSUM ... */
	m.csum_partial = false;
	m.ip_csum = NET_CSUM_GOOD;
	m.l4_csum = NET_CSUM_GOOD;
	ck_rx_drop(&m, NEG_RX);
	/* ... and gso_size. */
	m = gso(NET_RX_GSO_TCPV6, false, 0);
	ck_rx_drop(&m, NEG_RX);
	/* A type the enum does not name. */
	m = gso((enum net_rx_gso)7, false, 1000);
	ck_rx_drop(&m, NEG_RX);
}
END_TEST

START_TEST(test_rx_to_meta_flags)
{
	struct virtio_net_hdr_v1 t = { .flags = VALID };
	struct net_rx_meta m;

	/* Linux: drivers/net/tun.c: tun's DATA_VALID is CHECKSUM_UNNECESSARY: both good. */
	memset(&m, 0xee, sizeof(m));
	tap_hdr_to_rx_meta(&t, &m);
	ck_assert_int_eq(m.ip_csum, NET_CSUM_GOOD);
	ck_assert_int_eq(m.l4_csum, NET_CSUM_GOOD);
	ck_assert(!m.csum_partial);
	ck_assert_int_eq(m.gso, NET_RX_GSO_NONE);
	ck_assert(!m.gso_ecn);
	/* NEEDS_CSUM: partial, the states unknown, even beside DATA_VALID. */
	t = (struct virtio_net_hdr_v1){ .flags = NEEDS | VALID, .csum_start = htole16(0x1234),
					.csum_offset = htole16(16) };
	tap_hdr_to_rx_meta(&t, &m);
	ck_assert(m.csum_partial);
	ck_assert_uint_eq(m.csum_start, 0x1234);
	ck_assert_uint_eq(m.csum_offset, 16);
	ck_assert_int_eq(m.ip_csum, NET_CSUM_UNKNOWN);
	ck_assert_int_eq(m.l4_csum, NET_CSUM_UNKNOWN);
	/* Nothing: nothing known. */
	t = (struct virtio_net_hdr_v1){ .num_buffers = htole16(3) };
	tap_hdr_to_rx_meta(&t, &m);
	ck_assert_int_eq(m.ip_csum, NET_CSUM_UNKNOWN);
	ck_assert_int_eq(m.l4_csum, NET_CSUM_UNKNOWN);
	ck_assert(!m.csum_partial);
	ck_assert_uint_eq(m.csum_start, 0);
	ck_assert_uint_eq(m.gso_size, 0);
}
END_TEST

START_TEST(test_rx_to_meta_gso)
{
	static const struct {
		uint8_t type;
		enum net_rx_gso gso;
		bool ecn;
	} rows[] = {
		{ VIRTIO_NET_HDR_GSO_NONE, NET_RX_GSO_NONE, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4, NET_RX_GSO_TCPV4, false },
		{ VIRTIO_NET_HDR_GSO_TCPV4 | ECN, NET_RX_GSO_TCPV4, true },
		{ VIRTIO_NET_HDR_GSO_TCPV6, NET_RX_GSO_TCPV6, false },
		{ VIRTIO_NET_HDR_GSO_TCPV6 | ECN, NET_RX_GSO_TCPV6, true },
		{ VIRTIO_NET_HDR_GSO_UDP_L4, NET_RX_GSO_UDP_L4, false },
		/* UFO is never enabled on the tap; such a super-frame must not pass as a packet. */
		{ VIRTIO_NET_HDR_GSO_UDP, NET_RX_GSO_UNKNOWN, false },
		{ 9, NET_RX_GSO_UNKNOWN, false },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(rows); i++) {
		struct virtio_net_hdr_v1 t = {
			.flags = NEEDS, .gso_type = rows[i].type, .hdr_len = htole16(66),
			.gso_size = htole16(1448), .csum_start = htole16(34),
			.csum_offset = htole16(16),
		};
		struct net_rx_meta m;

		tap_hdr_to_rx_meta(&t, &m);
		ck_assert_int_eq(m.gso, rows[i].gso);
		ck_assert_int_eq(m.gso_ecn, rows[i].ecn);
		ck_assert_uint_eq(m.gso_size, 1448);
		ck_assert_uint_eq(m.hdr_len, 66);
		if (rows[i].gso == NET_RX_GSO_UNKNOWN) {
			struct virtio_net_hdr_v1 g;

			/* Whatever the guest negotiated, it cannot take it. */
			ck_assert(!vnet_hdr_rx_build(&m, ~0ULL, 1, &g));
		}
	}
}
END_TEST

START_TEST(test_rx_tap_round_trip)
{
	static const struct virtio_net_hdr_v1 taps[] = {
		{ 0 },
		{ .flags = VALID },
		{ .flags = NEEDS, .csum_start = 34, .csum_offset = 6 },
		{ .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 66,
		  .gso_size = 1448, .csum_start = 34, .csum_offset = 16 },
		{ .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | ECN, .hdr_len = 86,
		  .gso_size = 1428, .csum_start = 54, .csum_offset = 16 },
		{ .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4, .hdr_len = 42,
		  .gso_size = 1472, .csum_start = 34, .csum_offset = 6 },
	};

	/* What tun wrote reaches a guest that took every offload unchanged, plus num_buffers. */
	for (unsigned int i = 0; i < ARRAY_SIZE(taps); i++) {
		struct virtio_net_hdr_v1 t = taps[i], out;
		struct net_rx_meta m;

		t.hdr_len = htole16(t.hdr_len);
		t.gso_size = htole16(t.gso_size);
		t.csum_start = htole16(t.csum_start);
		t.csum_offset = htole16(t.csum_offset);
		tap_hdr_to_rx_meta(&t, &m);
		ck_assert(vnet_hdr_rx_build(&m, NEG_RX, 1, &out));
		t.num_buffers = htole16(1);
		ck_assert_mem_eq(&out, &t, sizeof(out));
	}
}
END_TEST

START_TEST(test_features_for_caps)
{
	struct net_caps all = { true, true, true, true, true, true, true, true, true, true };
	struct net_caps c = { 0 };

	/* D30: every offload bit for a backend that does everything; never UFO. */
	ck_assert_uint_eq(vnet_hdr_offload_features(&all), NEG_TX | NEG_RX);
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), 0);
	c = all;
	c.rx_csum = c.rx_tso4 = c.rx_tso6 = c.rx_ecn = c.rx_uso = false;
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), NEG_TX);
	c = all;
	c.tx_csum = c.tx_tso4 = c.tx_tso6 = c.tx_ecn = c.tx_uso = false;
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), NEG_RX);
	/* D31: no TSO/USO without the checksum it depends on ... */
	c = all;
	c.tx_csum = false;
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), NEG_RX);
	c.rx_csum = false;
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), 0);
	/* ... no ECN without TSO, */
	c = (struct net_caps){ .tx_csum = true, .tx_ecn = true, .tx_uso = true, .rx_csum = true,
			       .rx_ecn = true, .rx_uso = true };
	ck_assert_uint_eq(vnet_hdr_offload_features(&c), F(CSUM) | F(HOST_USO) | F(GUEST_CSUM) |
								 F(GUEST_USO4) | F(GUEST_USO6));
	/* ... and ECN with either TSO. */
	c.tx_tso6 = c.rx_tso4 = true;
	ck_assert_uint_eq(vnet_hdr_offload_features(&c),
			  F(CSUM) | F(HOST_USO) | F(HOST_TSO6) | F(HOST_ECN) | F(GUEST_CSUM) |
				  F(GUEST_USO4) | F(GUEST_USO6) | F(GUEST_TSO4) | F(GUEST_ECN));
}
END_TEST

START_TEST(test_features_offered_always_valid)
{
	/* D31 exhaustively: whatever the caps, the offered set passes its own check. */
	for (unsigned int bits = 0; bits < 1024; bits++) {
		struct net_caps c = {
			bits & 1, bits & 2, bits & 4, bits & 8, bits & 16,
			bits & 32, bits & 64, bits & 128, bits & 256, bits & 512,
		};
		uint64_t f = vnet_hdr_offload_features(&c);

		ck_assert_int_eq(vnet_hdr_check_features(f), 0);
		ck_assert_uint_eq(f & (F(HOST_UFO) | F(GUEST_UFO)), 0);
		ck_assert_uint_eq(!!(f & F(GUEST_USO4)), !!(f & F(GUEST_USO6)));
	}
}
END_TEST

START_TEST(test_check_features_good_sets)
{
	static const uint64_t good[] = {
		0,
		NEG_TX | NEG_RX,
		F(CSUM),
		F(GUEST_CSUM),
		F(CSUM) | F(HOST_TSO4),
		F(CSUM) | F(HOST_TSO6) | F(HOST_ECN),
		F(CSUM) | F(HOST_USO),
		F(GUEST_CSUM) | F(GUEST_TSO6) | F(GUEST_ECN),
		/* A valid subset: the guest may take one USO direction (tap then gets none). */
		F(GUEST_CSUM) | F(GUEST_USO4),
		/* Non-offload bits are not this check's business. */
		VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
			VIRTIO_BIT(VIRTIO_F_VERSION_1),
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_int_eq(vnet_hdr_check_features(good[i]), 0);
}
END_TEST

START_TEST(test_check_features_bad_sets_refused)
{
	static const uint64_t bad[] = {
		/* D32: §5.1.3.1, each bit without what it requires. */
		F(HOST_TSO4),
		F(HOST_TSO6),
		F(HOST_USO),
		F(HOST_UFO),
		F(CSUM) | F(HOST_ECN),
		F(HOST_TSO4) | F(HOST_ECN),
		F(GUEST_TSO4),
		F(GUEST_TSO6),
		F(GUEST_UFO),
		F(GUEST_USO4),
		F(GUEST_USO6),
		F(GUEST_CSUM) | F(GUEST_ECN),
		F(GUEST_CSUM) | F(GUEST_USO4) | F(GUEST_USO6) | F(GUEST_ECN),
		/* The other direction's checksum does not count. */
		F(GUEST_CSUM) | F(HOST_TSO4),
		F(CSUM) | F(GUEST_TSO4),
		F(CSUM) | F(HOST_TSO4) | F(GUEST_ECN),
		NEG_TX | (NEG_RX & ~F(GUEST_CSUM)),
		NEG_RX | (NEG_TX & ~F(CSUM)),
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_int_eq(vnet_hdr_check_features(bad[i]), -EINVAL);
}
END_TEST

/* The tap's TUNSETOFFLOAD flags for a negotiated feature set: what the guest accepts, mapped. */
static unsigned int tap_offloads(uint64_t negotiated)
{
	struct net_caps accept;

	vnet_hdr_rx_accepts(negotiated, &accept);
	return tap_rx_flags(&accept);
}

START_TEST(test_tap_offloads_mapping)
{
	/* D33: what tun may hand up follows what the guest can take. */
	ck_assert_uint_eq(tap_offloads(0), 0);
	ck_assert_uint_eq(tap_offloads(NEG_TX), 0);
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM)), TUN_F_CSUM);
	ck_assert_uint_eq(tap_offloads(NEG_RX), TUN_F_ALL);
	ck_assert_uint_eq(tap_offloads(NEG_RX | NEG_TX), TUN_F_ALL);
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM) | F(GUEST_TSO4)),
			  TUN_F_CSUM | TUN_F_TSO4);
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM) | F(GUEST_TSO6) | F(GUEST_ECN)),
			  TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN);
	/* One USO direction is not enough for tun. */
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM) | F(GUEST_USO4)), TUN_F_CSUM);
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM) | F(GUEST_USO6)), TUN_F_CSUM);
	ck_assert_uint_eq(tap_offloads(F(GUEST_CSUM) | F(GUEST_USO4) | F(GUEST_USO6)),
			  TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6);
	/* Without GUEST_CSUM nothing, whatever else (tun refuses TSO without CSUM). */
	ck_assert_uint_eq(tap_offloads(NEG_RX & ~F(GUEST_CSUM)), 0);
}
END_TEST

START_TEST(test_tap_offloads_always_acceptable_to_tun)
{
	/* D33: for every guest-feature subset, flags tun's set_offload would accept. */
	static const unsigned int bits[] = {
		VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6,
		VIRTIO_NET_F_GUEST_UFO,
	};

	for (unsigned int set = 0; set < 1u << ARRAY_SIZE(bits); set++) {
		uint64_t f = 0;
		unsigned int t;

		for (unsigned int i = 0; i < ARRAY_SIZE(bits); i++)
			if (set & (1u << i))
				f |= VIRTIO_BIT(bits[i]);
		t = tap_offloads(f);
		ck_assert_uint_eq(t & ~TUN_F_ALL, 0);
		if (t)
			ck_assert_uint_eq(t & TUN_F_CSUM, TUN_F_CSUM);
		if (t & TUN_F_TSO_ECN)
			ck_assert_uint_ne(t & (TUN_F_TSO4 | TUN_F_TSO6), 0);
		ck_assert_uint_eq(!!(t & TUN_F_USO4), !!(t & TUN_F_USO6));
	}
}
END_TEST

Suite *vnet_hdr_rx_suite(void)
{
	Suite *s = suite_create("vnet_hdr_rx");
	TCase *rx = tcase_create("rx");
	TCase *feat = tcase_create("features");

	tcase_add_test(rx, test_rx_data_valid_table);
	tcase_add_test(rx, test_rx_data_valid_needs_guest_csum);
	tcase_add_test(rx, test_rx_num_buffers_written);
	tcase_add_test(rx, test_rx_needs_csum_gated);
	tcase_add_test(rx, test_rx_gso_tcp_gated);
	tcase_add_test(rx, test_rx_gso_uso_needs_both);
	tcase_add_test(rx, test_rx_gso_ecn_gated);
	tcase_add_test(rx, test_rx_gso_malformed_dropped);
	tcase_add_test(rx, test_rx_to_meta_flags);
	tcase_add_test(rx, test_rx_to_meta_gso);
	tcase_add_test(rx, test_rx_tap_round_trip);
	suite_add_tcase(s, rx);
	tcase_add_test(feat, test_features_for_caps);
	tcase_add_test(feat, test_features_offered_always_valid);
	tcase_add_test(feat, test_check_features_good_sets);
	tcase_add_test(feat, test_check_features_bad_sets_refused);
	tcase_add_test(feat, test_tap_offloads_mapping);
	tcase_add_test(feat, test_tap_offloads_always_acceptable_to_tun);
	suite_add_tcase(s, feat);
	return s;
}
