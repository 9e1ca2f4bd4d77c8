// SPDX-License-Identifier: MIT
// Probe guest: the net-verify mode, for minnow's offload verifier (--net ...,verify=on). It
// sends one TCP/IPv4 frame per case, in this order: three whose offload requests are right
// (checksum only, TSO, a UDP checksum) and five each wrong in one field, in bounds so that most
// pass the device's validation: csum_start inside the IP header, csum_offset 6 on TCP, a TSO
// hdr_len of 20, GSO TCPV6 on an IPv4 frame (validation drops that one), and a checksum field
// that is not the pseudo-header sum. The kvm test (tests/kvm/net-verify.sh) asserts the
// verifier reports exactly the five, each with its kind.
#include "netverify.h"
#include "netrun.h"

#define MSS	 100 /* gso_size of the TSO cases: the frame holds two segments */
#define TCP_CSUM 16
#define L4_AT	 (NET_ETH_HLEN + NET_IP4_HLEN)

enum vcase_fix {
	FIX_NONE,
	FIX_CSUM_START,	  /* csum_start 30: the IPv4 destination address */
	FIX_CSUM_OFFSET,  /* csum_offset 6: the UDP field's place, on TCP */
	FIX_HDR_LEN,	  /* hdr_len 20: shorter than the 54 bytes of headers */
	FIX_GSO_TYPE,	  /* TCPV6 on an IPv4 frame */
	FIX_CSUM_PARTIAL, /* the TCP checksum field is not the pseudo-header sum */
};

struct vcase {
	const char *name;
	bool tso, udp;
	enum vcase_fix fix;
};

static const struct vcase vcases[] = {
	{"ok_csum", false, false, FIX_NONE},
	{"ok_tso", true, false, FIX_NONE},
	{"ok_udp_csum", false, true, FIX_NONE},
	{"bad_csum_start", false, false, FIX_CSUM_START},
	{"bad_csum_offset", false, false, FIX_CSUM_OFFSET},
	{"bad_hdr_len", true, false, FIX_HDR_LEN},
	{"bad_gso_type", true, false, FIX_GSO_TYPE},
	{"bad_csum_partial", false, false, FIX_CSUM_PARTIAL},
};

static struct netrun vrun;

/* One case's frame into a TX slot, its one wrong field wrong; false if no slot is free. */
static bool send_case(struct netrun *r, const struct vcase *c, uint32_t index)
{
	struct virtio_net_hdr *hdr;
	uint8_t *f = netdrv_tx_slot(&r->nd, &hdr);
	uint32_t len;

	if (!f)
		return false;
	if (c->udp)
		len = net_udp_build(f, &r->me, &r->peer, 64, true, hdr);
	else
		len = net_tcp_build(f, &r->me, &r->peer,
				    &(struct net_tcp_spec){.seq = 1000 * index,
							   .flags = 0x10 /* ACK */,
							   .doff = 5,
							   .payload = c->tso ? 2 * MSS : 200,
							   .index = index,
							   .mss = c->tso ? MSS : 0},
				    hdr);
	switch (c->fix) {
	case FIX_NONE:
		break;
	case FIX_CSUM_START:
		hdr->csum_start = NET_ETH_HLEN + 16;
		break;
	case FIX_CSUM_OFFSET:
		hdr->csum_offset = 6;
		break;
	case FIX_HDR_LEN:
		hdr->hdr_len = 20;
		break;
	case FIX_GSO_TYPE:
		hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		break;
	case FIX_CSUM_PARTIAL:
		be16_put(f + L4_AT + TCP_CSUM, 0x1234);
		break;
	}
	return netdrv_tx_queue(&r->nd, f, len) == 0;
}

int net_mode_verify(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct netrun *r = &vrun;
	int status;
	const char *why = netrun_open(r, cmdline, "net-verify", map, nmap, true, true, 0, &status);
	struct json j;

	if (why && !*why)
		return status;
	for (uint32_t i = 0; !why && i < ARRAY_SIZE(vcases); i++) {
		if (!send_case(r, &vcases[i], i))
			why = "no TX slot for a case";
		else
			r->sent++;
		/* One frame at a time: the order on the wire is the order of the cases. */
		if (!why)
			why = netrun_tx_drain(r);
	}
	netrun_report_head(&j, r, why);
	json_u64(&j, "sent", r->sent);
	json_u64(&j, "cases", ARRAY_SIZE(vcases));
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}
