// SPDX-License-Identifier: MIT
// Tests of devices/virtio/vnet_ctrl: every control-queue command (virtio 1.2 §5.1.6.5) accepted
// with what it records, and every malformed one refused with its exact reason.
#include <check.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "base/uapi.h"
#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_ctrl.h"
#include "tests/unit/suites.h"

#define F(x)	VIRTIO_BIT(VIRTIO_NET_F_##x)
#define ALL	(F(CTRL_VQ) | F(CTRL_RX) | F(CTRL_MAC_ADDR) | F(MQ) | F(CTRL_GUEST_OFFLOADS) | \
		 F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6))
#define MAXP	4

static uint8_t buf[VNET_CTRL_MAX_LEN + 16];
static struct vnet_ctrl_cmd cmd;

/* A command of class cls, command c, with len data bytes. */
static size_t mk(uint8_t cls, uint8_t c, const void *data, size_t len)
{
	buf[0] = cls;
	buf[1] = c;
	if (len)
		memcpy(buf + 2, data, len);
	return 2 + len;
}

static enum vnet_ctrl_err parse(size_t out, size_t in, uint64_t f)
{
	return vnet_ctrl_parse(buf, out, in, f, MAXP, &cmd);
}

START_TEST(test_vnet_ctrl_promisc_allmulti_ok)
{
	struct vnet_ctrl_state s = { 0 };
	uint8_t on = 1, off = 0;

	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), 1, ALL),
			 VNET_CTRL_OK);
	ck_assert_int_eq(cmd.kind, VNET_CTRL_PROMISC);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert(s.promisc);
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1), 1, ALL),
			 VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert(s.allmulti);
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1), 1, ALL),
			 VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert(!s.promisc && s.allmulti);
}
END_TEST

START_TEST(test_vnet_ctrl_mac_addr_and_table_ok)
{
	struct vnet_ctrl_state s = { 0 };
	uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	uint8_t t[4 + 12 + 4 + 6] = { 2, 0, 0, 0 };

	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6), 1,
			       ALL), VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert_mem_eq(s.mac, mac, 6);
	t[16] = 1;
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, sizeof(t)),
			       1, ALL), VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert_uint_eq(s.unicast, 2);
	ck_assert_uint_eq(s.multicast, 1);
	/* Two empty tables: Linux sends these. */
	memset(t, 0, sizeof(t));
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, 8), 1, ALL),
			 VNET_CTRL_OK);
}
END_TEST

START_TEST(test_vnet_ctrl_pairs_and_offloads_ok)
{
	struct vnet_ctrl_state s = { 0 };
	uint8_t p[2] = { MAXP, 0 };
	uint64_t off = F(GUEST_CSUM) | F(GUEST_TSO4);

	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p, 2), 1,
			       ALL), VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert_uint_eq(s.pairs, MAXP);
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), 1, ALL),
			 VNET_CTRL_OK);
	vnet_ctrl_apply(&s, &cmd);
	ck_assert_uint_eq(s.guest_offloads, off);
	off = 0;	/* everything off is legal */
	ck_assert_int_eq(parse(mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), 1, ALL),
			 VNET_CTRL_OK);
}
END_TEST

/* Each malformed command, by loop index: its bytes, ack length, features, and the verdict. */
START_TEST(test_vnet_ctrl_malformed_refused_by_reason)
{
	uint8_t one = 1, mac[6] = { 2 }, big[8] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t p0[2] = { 0, 0 }, p5[2] = { MAXP + 1, 0 }, pbig[2] = { 0, 0x80 };
	uint64_t bad_off = F(GUEST_ECN), not_off = F(MRG_RXBUF);
	uint8_t t_short[4 + 6] = { 2, 0, 0, 0 }, t_trail[8 + 1] = { 0 };
	struct {
		size_t out, in;
		uint64_t f;
		enum vnet_ctrl_err want;
	} c[] = {
		/* 0 */ { mk(0, 0, &one, 1), 0, ALL, VNET_CTRL_ERR_NO_ACK },
		/* 1 */ { mk(0, 0, &one, 1), 2, ALL, VNET_CTRL_ERR_LAYOUT },
		/* 2 */ { 1, 1, ALL, VNET_CTRL_ERR_SHORT },
		/* 3 */ { 0, 1, ALL, VNET_CTRL_ERR_SHORT },
		/* 4 */ { mk(9, 0, NULL, 0), 1, ALL, VNET_CTRL_ERR_CLASS },
		/* 5 */ { mk(VIRTIO_NET_CTRL_RX, 6, &one, 1), 1, ALL, VNET_CTRL_ERR_COMMAND },
		/* 6 */ { mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &one, 1), 1,
			  ALL & ~F(CTRL_RX), VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 7 */ { mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &one, 1), 1, ALL,
			  VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 8 */ { mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0), 1, ALL,
			  VNET_CTRL_ERR_LENGTH },
		/* 9 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 5), 1, ALL,
			  VNET_CTRL_ERR_LENGTH },
		/* 10 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6), 1,
			   ALL & ~F(CTRL_MAC_ADDR), VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 11 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t_short,
			      sizeof(t_short)), 1, ALL, VNET_CTRL_ERR_MAC_TABLE },
		/* 12 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, big, 8), 1, ALL,
			   VNET_CTRL_ERR_MAC_TABLE },
		/* 13 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t_trail, 9), 1, ALL,
			   VNET_CTRL_ERR_MAC_TABLE },
		/* 14 */ { mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t_trail, 3), 1, ALL,
			   VNET_CTRL_ERR_MAC_TABLE },
		/* 15 */ { mk(VIRTIO_NET_CTRL_MAC, 2, mac, 6), 1, ALL, VNET_CTRL_ERR_COMMAND },
		/* 16 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p0, 2), 1, ALL,
			   VNET_CTRL_ERR_PAIRS },
		/* 17 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p5, 2), 1, ALL,
			   VNET_CTRL_ERR_PAIRS },
		/* 18 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pbig, 2), 1, ALL,
			   VNET_CTRL_ERR_PAIRS },
		/* 19 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p0, 1), 1, ALL,
			   VNET_CTRL_ERR_LENGTH },
		/* 20 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p5, 2), 1,
			   ALL & ~F(MQ), VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 21 */ { mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, p5, 2), 1, ALL,
			   VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 22 */ { mk(VIRTIO_NET_CTRL_MQ, 7, p5, 2), 1, ALL, VNET_CTRL_ERR_COMMAND },
		/* 23 */ { mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
			      &bad_off, 8), 1, ALL, VNET_CTRL_ERR_OFFLOADS },
		/* 24 */ { mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
			      &not_off, 8), 1, ALL | F(MRG_RXBUF), VNET_CTRL_ERR_OFFLOADS },
		/* 25 */ { mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
			      &bad_off, 4), 1, ALL, VNET_CTRL_ERR_LENGTH },
		/* 26 */ { mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
			      &bad_off, 8), 1, ALL & ~F(CTRL_GUEST_OFFLOADS),
			   VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 27 */ { mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, 1, &bad_off, 8), 1, ALL,
			   VNET_CTRL_ERR_COMMAND },
		/* 28 */ { mk(VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, p0, 2), 1, ALL,
			   VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 29 */ { mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &one, 1), 1,
			   ALL & ~F(CTRL_VQ), VNET_CTRL_ERR_NOT_NEGOTIATED },
		/* 30 */ { VNET_CTRL_MAX_LEN + 1, 1, ALL, VNET_CTRL_ERR_LAYOUT },
	};
	int i = _i;

	ck_assert_int_lt(i, (int)(sizeof(c) / sizeof(c[0])));
	/* mk() above wrote buf for the last case; rebuild this case's bytes by re-running it. */
	switch (i) {
	case 0: case 1: mk(0, 0, &one, 1); break;
	case 2: case 3: buf[0] = VIRTIO_NET_CTRL_RX; break;
	case 4: mk(9, 0, NULL, 0); break;
	case 5: mk(VIRTIO_NET_CTRL_RX, 6, &one, 1); break;
	case 6: mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &one, 1); break;
	case 7: mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &one, 1); break;
	case 8: mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0); break;
	case 9: case 10: mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6); break;
	case 11: mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t_short, sizeof(t_short));
		break;
	case 12: mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, big, 8); break;
	case 13: case 14: mk(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t_trail, 9); break;
	case 15: mk(VIRTIO_NET_CTRL_MAC, 2, mac, 6); break;
	case 16: case 19: mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p0, 2); break;
	case 17: case 20: mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, p5, 2); break;
	case 18: mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pbig, 2); break;
	case 21: mk(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, p5, 2); break;
	case 22: mk(VIRTIO_NET_CTRL_MQ, 7, p5, 2); break;
	case 23: case 25: case 26:
		mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &bad_off, 8);
		break;
	case 24:
		mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &not_off, 8);
		break;
	case 27: mk(VIRTIO_NET_CTRL_GUEST_OFFLOADS, 1, &bad_off, 8); break;
	case 28: mk(VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, p0, 2); break;
	case 29: mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &one, 1); break;
	case 30: mk(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &one, 1); break;
	}
	ck_assert_msg(parse(c[i].out, c[i].in, c[i].f) == c[i].want, "case %d: got %s, want %s", i,
		      vnet_ctrl_err_names[parse(c[i].out, c[i].in, c[i].f)],
		      vnet_ctrl_err_names[c[i].want]);
}
END_TEST

START_TEST(test_vnet_ctrl_every_reason_has_a_name)
{
	for (int i = 0; i < VNET_CTRL_ERR_MAX; i++)
		ck_assert_ptr_nonnull(vnet_ctrl_err_names[i]);
}
END_TEST

Suite *vnet_ctrl_suite(void)
{
	Suite *s = suite_create("vnet_ctrl");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_vnet_ctrl_promisc_allmulti_ok);
	tcase_add_test(tc, test_vnet_ctrl_mac_addr_and_table_ok);
	tcase_add_test(tc, test_vnet_ctrl_pairs_and_offloads_ok);
	tcase_add_loop_test(tc, test_vnet_ctrl_malformed_refused_by_reason, 0, 31);
	tcase_add_test(tc, test_vnet_ctrl_every_reason_has_a_name);
	suite_add_tcase(s, tc);
	return s;
}
