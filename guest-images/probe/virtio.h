// SPDX-License-Identifier: MIT
// Probe guest virtio-mmio (version 2) driver core: discovery, initialization, split virtqueues.
//
// Written from the virtio 1.2 specification: §2 (basic facilities, split
// virtqueues in §2.7), §3.1 (driver initialization), §4.2 (MMIO transport).
// Everything here runs at CPL 3. Each register access is a VM exit (~66 us
// from CPL 3 under kvm-pvm), so the code touches registers only where the
// spec asks for it and keeps the rings in guest memory doing the rest.
#ifndef PROBE_VIRTIO_H
#define PROBE_VIRTIO_H

#include "lib.h"

/* §4.2.2: MMIO device register layout (offsets from the window's base). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt", little-endian */

/* InterruptStatus / InterruptACK bits (§4.2.2). */
#define VIRTIO_MMIO_INT_VRING  0x1 /* a used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 0x2 /* a configuration change notification */

/* §2.1: device status field. */
#define VIRTIO_STATUS_ACKNOWLEDGE	 0x01
#define VIRTIO_STATUS_DRIVER		 0x02
#define VIRTIO_STATUS_DRIVER_OK		 0x04
#define VIRTIO_STATUS_FEATURES_OK	 0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED		 0x80

/* Feature bits (§6 reserved bits; the ring ones from §2.7). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_BIT(b)	       (1ull << (b))

/* §5: device IDs. */
#define VIRTIO_ID_NET	  1
#define VIRTIO_ID_BLOCK	  2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_ENTROPY 4

/* §2.7.5, §2.7.6, §2.7.8: split virtqueue flags. */
#define VIRTQ_DESC_F_NEXT	   1
#define VIRTQ_DESC_F_WRITE	   2
#define VIRTQ_DESC_F_INDIRECT	   4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	   1

/* Limits of this driver. */
#define VIRTIO_MAX_DEVICES 8   /* virtio_mmio.device= words looked at */
#define VIRTIO_MAX_QUEUES  9   /* virtqueues per device (virtio-net: 4 pairs and ctrl) */
#define VIRTQ_POOL	   4   /* virtqueues in .bss for one run (virtq_pool_add: more) */
#define VIRTQ_MAX	   256 /* largest queue size set up (a power of 2) */
#define VIRTQ_INDIRECT_MAX 8   /* descriptors in one indirect table */

/* §2.7.5: one descriptor, in the ring's table or in an indirect table. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* §2.7.6: ring[num] after the entries is used_event (with EVENT_IDX). */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VIRTQ_MAX + 1];
};

/* §2.7.8: the 16 bits after ring[num - 1] are avail_event (with EVENT_IDX). */
struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[VIRTQ_MAX];
	uint16_t avail_event_room[2]; /* avail_event when num == VIRTQ_MAX */
};

/* Where a virtio_mmio.device=<size>@<addr>:<irq>[:<id>] word puts a device. */
struct virtio_mmio_loc {
	uint64_t base;
	uint64_t size;
	uint32_t irq; /* GSI: an IOAPIC pin */
};

/* One piece of a buffer chain: guest-physical (== virtual) address and length. */
struct virtio_sg {
	uint64_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

struct virtq_mem;
struct virtio_dev;

struct virtq {
	struct virtio_dev *dev;
	struct virtq_mem *mem;
	struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	volatile uint16_t *used_event;	/* &avail->ring[num] */
	volatile uint16_t *avail_event; /* just after used->ring[num - 1] */
	uint16_t index;			/* the QueueSel value */
	uint16_t num;			/* queue size, a power of 2 */
	uint16_t free_head;		/* first free descriptor in the table */
	uint16_t num_free;
	uint16_t avail_idx;  /* avail->idx once published (virtq_kick) */
	uint16_t kicked_idx; /* avail->idx as of the last virtq_kick */
	uint16_t last_used;  /* next used->idx entry to harvest */
	bool event_idx;	     /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;	     /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool irq_on;	     /* used buffer notifications wanted */
	uint32_t kicks;	     /* QueueNotify writes */
	uint32_t added;	     /* chains made available */
	uint32_t harvested;  /* used entries taken */
};

struct virtio_dev {
	struct virtio_mmio_loc loc;
	uintptr_t regs; /* == loc.base: identity mapped, uncached */
	uint32_t magic, version, device_id, vendor_id;
	uint64_t features;   /* offered by the device */
	uint64_t negotiated; /* written back in DriverFeatures */
	uint32_t status;     /* last value written to Status */
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

/*
 * Finds virtio_mmio.device=<size>@<addr>:<irq>[:<id>] words (Linux's syntax:
 * size with an optional K, M or G; addr in hex with 0x or decimal; irq
 * decimal). Fills up to max entries, in command-line order, and returns how
 * many words there were (which may exceed max), or -1 with *bad set to the
 * first malformed word.
 */
int virtio_find(struct str cmdline, struct virtio_mmio_loc *locs, int max, struct str *bad);

/*
 * Maps the window uncached and reads MagicValue, Version, DeviceID and
 * VendorID (4 exits). Returns NULL, or a static reason when the window is
 * unusable or the magic value is wrong (d->magic tells which).
 */
const char *virtio_open(struct virtio_dev *d, const struct virtio_mmio_loc *loc);
/* DeviceFeatures, both 32-bit pages (4 exits); no initialization needed. */
uint64_t virtio_read_features(struct virtio_dev *d);

/*
 * §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, read the device features,
 * write back features & accept, FEATURES_OK, and check that it stuck.
 * VERSION_1 must be offered (and accepted). Returns NULL or a static
 * reason; on failure the device is left with FAILED set.
 */
const char *virtio_init(struct virtio_dev *d, uint64_t accept);
/*
 * §4.2.3.2: sets up virtqueue index with size min(QueueNumMax, max_size)
 * rounded down to a power of 2 (max_size ≤ VIRTQ_MAX). The rings come from
 * a static pool (VIRTQ_POOL queues per run). Returns NULL or a reason.
 */
const char *virtq_setup(struct virtio_dev *d, unsigned int index, unsigned int max_size);
/*
 * More ring memory for virtq_setup once the static pool is used up: n queues
 * in mem (4 KiB aligned, n * virtq_mem_bytes() bytes, zeroed or not).
 */
void virtq_pool_add(void *mem, unsigned int n);
uint64_t virtq_mem_bytes(void);
/* §3.1.1 step 8: DRIVER_OK. After it, buffers may be made available and kicked. */
void virtio_driver_ok(struct virtio_dev *d);
/* FAILED added to the status (the driver gave up). */
void virtio_fail(struct virtio_dev *d);
/* Status 0, then waits (bounded) until a read returns 0; false if it never does. */
bool virtio_reset(struct virtio_dev *d);
uint32_t virtio_read_status(struct virtio_dev *d);
/* Reads InterruptStatus and, if nonzero, acknowledges those bits (1 or 2 exits). */
uint32_t virtio_isr_ack(struct virtio_dev *d);
/* Device-specific configuration space (§4.2.2, offset from 0x100). */
uint32_t virtio_config_read32(struct virtio_dev *d, uint32_t off);
uint16_t virtio_config_read16(struct virtio_dev *d, uint32_t off);
uint8_t virtio_config_read8(struct virtio_dev *d, uint32_t off);
/* ConfigGeneration: read before and after a multi-access field (§4.2.2.2). */
uint32_t virtio_config_generation(struct virtio_dev *d);

/*
 * Adds a chain of n buffers to the available ring, not yet visible to the
 * device (virtq_kick publishes). indirect: one ring descriptor pointing to
 * an indirect table of n (≤ VIRTQ_INDIRECT_MAX) entries; needs
 * VIRTIO_F_INDIRECT_DESC. token (non-NULL) comes back from virtq_get.
 * Returns 0, or -1 when the ring lacks room or the request is invalid.
 */
int virtq_add(struct virtq *q, const struct virtio_sg *sg, unsigned int n, bool indirect,
	      void *token);
/* Descriptors free for virtq_add (an indirect chain takes 1). */
static inline unsigned int virtq_room(const struct virtq *q)
{
	return q->num_free;
}
/*
 * Publishes what virtq_add added and notifies the device (QueueNotify)
 * unless it asked not to be (avail_event with EVENT_IDX, else
 * VIRTQ_USED_F_NO_NOTIFY). Returns true if it wrote QueueNotify.
 */
bool virtq_kick(struct virtq *q);
/* True if the device has used entries not yet taken by virtq_get. */
bool virtq_pending(const struct virtq *q);
/*
 * Takes the next used entry: 1 with *len (bytes written by the device) and
 * *token set, 0 if there is none, -1 if the device returned a descriptor
 * id that is out of range or not in flight (a device bug).
 */
int virtq_get(struct virtq *q, uint32_t *len, void **token);
/*
 * Asks for a used buffer notification for the next used entry (used_event
 * with EVENT_IDX, else avail->flags 0). Returns true if used entries are
 * already pending: they may never be announced, so the caller must harvest
 * them now (and call this again).
 */
bool virtq_enable_irq(struct virtq *q);
/* Asks for no used buffer notifications (polling). */
void virtq_disable_irq(struct virtq *q);

#endif
