// SPDX-License-Identifier: MIT
// Probe guest virtio-net driver (virtio 1.2 §5.1) on top of virtio.c: one queue pair, polled
// or interrupt driven, zero-copy TX slots and RX buffers from a pool above the probe image.
//
// Written from the virtio 1.2 specification, §5.1. Everything runs at CPL 3.
// Register accesses are VM exits (~70 us each from CPL 3 under kvm-pvm), so
// after initialization the data path touches registers only to kick (a
// QueueNotify the ioeventfd absorbs, ~27 us) and only when the device asked
// for it (EVENT_IDX): TX frames are batched per kick, RX buffers re-posted
// per harvest, and the default is polling with notifications suppressed.
#ifndef PROBE_NETDRV_H
#define PROBE_NETDRV_H

#include "entry.h"
#include "virtio.h"

/* §5.1.3: feature bits. */
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN	9
#define VIRTIO_NET_F_GUEST_UFO	10
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_HOST_ECN	13
#define VIRTIO_NET_F_HOST_UFO	14
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_F_CTRL_VQ	17
#define VIRTIO_NET_F_CTRL_RX	18
#define VIRTIO_NET_F_MQ		22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_GUEST_USO4 54
#define VIRTIO_NET_F_GUEST_USO6 55
#define VIRTIO_NET_F_HOST_USO	56

/* probe.features default: no offloads, one buffer per frame. */
#define NETDRV_DEFAULT_FEATURES                                                                    \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |                           \
	 VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |                          \
	 VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

/* §5.1.4: device configuration layout. */
#define VIRTIO_NET_CFG_MAC    0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_CFG_PAIRS  8
#define VIRTIO_NET_CFG_MTU    10
#define VIRTIO_NET_S_LINK_UP  1

#define NETDRV_RXQ 0
#define NETDRV_TXQ 1

/* §5.1.6.5: the control virtqueue (index 2 * max_virtqueue_pairs with MQ, else 2). */
struct virtio_net_ctrl_hdr {
	uint8_t class;
	uint8_t cmd;
};

#define VIRTIO_NET_OK			     0
#define VIRTIO_NET_ERR			     1
#define VIRTIO_NET_CTRL_RX		     0
#define VIRTIO_NET_CTRL_RX_PROMISC	     0
#define VIRTIO_NET_CTRL_RX_ALLMULTI	     1
#define VIRTIO_NET_CTRL_MAC		     1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET	     0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET	     1
#define VIRTIO_NET_CTRL_MQ		     4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET	     0
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN	     1
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX	     0x8000
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS	     5
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET   0

/* §5.1.6: the header before every frame (VERSION_1: always with num_buffers). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VIRTIO_NET_HDR_LEN	    12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_F_RSC_INFO   4
#define VIRTIO_NET_HDR_GSO_NONE	    0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_UDP	    3
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_UDP_L4   5
#define VIRTIO_NET_HDR_GSO_ECN	    0x80

#define NETDRV_MAX_FRAME  65550 /* §5.1.6.3.1: the largest frame (no header) */
#define NETDRV_VLAN_ETH	  18	/* Ethernet header with one 802.1Q tag */
#define NETDRV_MAX_PIECES 4	/* descriptors of one RX buffer */

/* What the command line asks of the driver (netdrv_cfg_parse). */
struct netdrv_cfg {
	uint64_t features;    /* probe.features: ANDed with the device's offer */
	unsigned int qsize;   /* probe.qsize: both queues, ≤ VIRTQ_MAX */
	uint32_t rxbuf;	      /* probe.rxbuf: bytes per RX buffer, header included (0: minimum) */
	unsigned int rxcount; /* probe.rxcount: RX buffers posted (0: the queue's size) */
	unsigned int rxsg;    /* probe.rxsg: descriptors per RX buffer, 1-NETDRV_MAX_PIECES */
	uint32_t txbuf;	      /* probe.txbuf: frame bytes per TX slot (0: 14 + MTU + 4) */
	bool txsg;	      /* probe.txsg=1: the header in its own descriptor */
	bool indirect;	      /* probe.indirect=1: TX chains through an indirect table */
	bool poll;	      /* probe.poll (default 1) */
	uint64_t timeout_ms;  /* probe.timeout_ms: idle limit of netdrv_wait */
};

/* One received frame, as netdrv_poll hands it over (valid during the callback). */
struct netdrv_rx {
	struct virtio_net_hdr hdr; /* the device's header, copied */
	uint8_t *frame;		   /* Ethernet frame, contiguous (copied if merged) */
	uint32_t len;		   /* frame bytes (header excluded) */
	uint16_t buffers;	   /* buffers it came in */
};

struct netdrv_rxbuf {
	uint8_t *p;
	bool posted;
};

/* A TX slot: the header and the frame side by side; token of its chain. */
struct netdrv_txslot {
	uint8_t *p; /* header at p, frame at p + VIRTIO_NET_HDR_LEN */
	bool busy;
};

/* Things a correct device never does, counted (any nonzero fails a mode). */
struct netdrv_errors {
	uint32_t bad_id;      /* used entry with an id out of range or not in flight */
	uint32_t rx_len;      /* RX used length below the header or above the buffer */
	uint32_t num_buffers; /* with MRG_RXBUF: num_buffers 0, or buffers missing */
	uint32_t flags;	      /* RX flags not allowed by the negotiated features */
	uint32_t gso;	      /* RX GSO type without its GUEST_* feature */
	uint32_t tx_len;      /* TX used length not 0 */
	uint32_t needs_reset; /* DEVICE_NEEDS_RESET seen */
};

struct netdrv {
	struct virtio_dev dev;
	struct netdrv_cfg cfg;
	struct virtq *rxq, *txq;
	uint8_t mac[6];
	uint16_t mtu, link; /* from config space (MTU: 1500 without VIRTIO_NET_F_MTU) */
	bool csum, guest_csum, mrg, guest_gso;
	uint32_t rx_need;      /* bytes a buffer must hold without MRG_RXBUF (§5.1.6.3.1) */
	uint32_t tx_frame_max; /* frame bytes a TX slot holds */
	uint32_t tx_stride;    /* bytes from one TX slot to the next */
	unsigned int nrx, ntx;
	struct netdrv_rxbuf rx[VIRTQ_MAX];
	struct netdrv_txslot tx[VIRTQ_MAX];
	uint16_t tx_free[VIRTQ_MAX], ntx_free;
	uint8_t *merge;		 /* reassembly of merged frames */
	unsigned int tx_pending; /* added since the last kick */
	bool irq_routed;	 /* interrupt mode set up (netdrv_close undoes it) */
	uint32_t irq_seen;
	uint64_t idle_ticks;
	/* counters */
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t rx_data_valid, rx_csum_partial, rx_merged;
	uint32_t irqs_handled, isr_empty, reposted;
	uint32_t num_buffers_not_1; /* without MRG_RXBUF (§5.1.6.4 says 1; QEMU 7.2 leaves it) */
	struct netdrv_errors err;
	uint64_t init_us;
};

/* Reads the probe.* keys above; NULL or the offending key (then exit with a usage error). */
const char *netdrv_cfg_parse(struct str cmdline, struct netdrv_cfg *cfg);

/*
 * Finds the first virtio-mmio device with DeviceID 1 on the command line,
 * negotiates cfg->features & offer (§5.1.3.1: refuses a mask that breaks a
 * dependency), reads MAC/MTU/status, sets up RX and TX queues, allocates
 * buffers from RAM above the probe (from the PVH memory map), posts the RX
 * buffers, and sets DRIVER_OK. Returns NULL or a static reason.
 */
const char *netdrv_open(struct netdrv *nd, struct str cmdline, const struct netdrv_cfg *cfg,
			const struct hvm_memmap_entry *map, uint32_t nmap);

/*
 * A free TX slot: returns the frame area (hdr_out: its header, zeroed), or
 * NULL when all are in flight even after harvesting the TX queue (the
 * caller waits with netdrv_wait, or kicks first with netdrv_tx_flush).
 */
uint8_t *netdrv_tx_slot(struct netdrv *nd, struct virtio_net_hdr **hdr_out);
/*
 * Queues the slot's frame of len bytes (not yet visible: netdrv_tx_flush).
 * -1 when the ring has no room (the slot is free again) or frame is no slot.
 */
int netdrv_tx_queue(struct netdrv *nd, uint8_t *frame, uint32_t len);
/* Publishes queued frames and kicks if the device asked for it. */
void netdrv_tx_flush(struct netdrv *nd);
/* TX chains the device has not returned yet. */
unsigned int netdrv_tx_inflight(const struct netdrv *nd);

/*
 * Harvests TX completions and received frames: calls fn for each frame,
 * then re-posts its buffers; kicks the RX queue once at the end if needed.
 * Returns the number of frames, or -1 after a device error (nd->err).
 */
typedef void (*netdrv_rx_fn)(void *ctx, struct netdrv *nd, const struct netdrv_rx *rx);
int netdrv_poll(struct netdrv *nd, netdrv_rx_fn fn, void *ctx);

/*
 * Waits until a used entry is pending on either queue (polling used->idx,
 * or for the interrupt and its InterruptStatus). False after
 * cfg.timeout_ms without one.
 */
bool netdrv_wait(struct netdrv *nd);

/* Interrupts off (interrupt mode), and the device reset if reset is set. */
void netdrv_close(struct netdrv *nd, bool reset);

/* The pool netdrv_alloc takes from (netdrv_open sets it up): RAM above the image. */
const char *netdrv_pool_init(const struct hvm_memmap_entry *map, uint32_t nmap);
/* Zeroed memory from the same pool as the buffers (after netdrv_open); NULL when out. */
uint8_t *netdrv_alloc(uint64_t size);

/* "aa:bb:cc:dd:ee:ff" into out[18]. */
void netdrv_mac_str(const uint8_t mac[6], char out[18]);

#endif
