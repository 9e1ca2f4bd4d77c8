// SPDX-License-Identifier: MIT
// virtio-mmio transport, version 2 (virtio 1.2 §4.2): register file, status state machine,
// feature negotiation, queue setup, ioeventfd kicks and irqfd interrupts.
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "base/trace.h"
#include "base/uapi.h"
#include "devices/virtio/vmmio.h"

#define VMMIO_VERSION	2		/* the virtio 1.x register layout (§4.2.2) */
#define VMMIO_VENDOR	0x574f4e4d	/* "MNOW" */
#define STATUS_KNOWN	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK | \
			 VIRTIO_CONFIG_S_FAILED)

const char *const vmmio_err_names[VMMIO_ERR_MAX] = {
	[VMMIO_ERR_ACCESS] = "register_access", [VMMIO_ERR_CONFIG] = "config_access",
	[VMMIO_ERR_QUEUE_SEL] = "queue_sel", [VMMIO_ERR_QUEUE] = "queue_setup",
	[VMMIO_ERR_FEATURES] = "features", [VMMIO_ERR_STATUS] = "status",
	[VMMIO_ERR_NOTIFY] = "notify",
};

/* Counts a driver error, then logs it and applies --virtio-strict (vmmio_fault). Under t->lock. */
static void vmmio_guest_err(struct vmmio *t, enum vmmio_err e, const char *fmt, ...) __printf(3, 4);

static void vmmio_guest_err(struct vmmio *t, enum vmmio_err e, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	atomic_fetch_add(&t->errors[e], 1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmmio_violation(t, NULL, -1, "driver error (%s): %s", vmmio_err_names[e], msg);
}

int vmmio_init(struct vmmio *t, const struct vdev_ops *ops, void *dev, const struct gmem *gm,
	       uint64_t base, uint32_t gsi, int vm_fd, int irq_fd)
{
	memset(t, 0, sizeof(*t));
	if (ops->nr_queues > VMMIO_MAX_QUEUES)
		return -EINVAL;
	t->ops = ops;
	t->dev = dev;
	t->gm = gm;
	t->base = base;
	t->gsi = gsi;
	t->vm_fd = vm_fd;
	t->irq_fd = irq_fd;
	t->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	t->offered = ops->features(dev) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	t->queue_max = ops->queue_max;
	t->nr_queues = ops->nr_queues;
	snprintf(t->name, sizeof(t->name), "%s@0x%llx", ops->name, (unsigned long long)base);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->violation_lock, NULL);
	for (unsigned int i = 0; i < VMMIO_MAX_QUEUES; i++)
		t->queues[i].kick_fd = -1;
	for (unsigned int i = 0; i < ops->nr_queues; i++) {
		t->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->queues[i].kick_fd < 0) {
			int err = -errno;

			vmmio_destroy(t);
			return err;
		}
	}
	return 0;
}

/* KVM_IOEVENTFD on QueueNotify with datamatch = index: the kick never exits (§4.2.3.3). */
static int vmmio_kick_assign(struct vmmio *t, unsigned int i, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = i,
		.addr = t->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = t->queues[i].kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (t->vm_fd < 0 || t->queues[i].kick_registered == assign)
		return 0;
	if (ioctl(t->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	t->queues[i].kick_registered = assign;
	return 0;
}

void vmmio_destroy(struct vmmio *t)
{
	for (unsigned int i = 0; i < VMMIO_MAX_QUEUES; i++) {
		if (t->queues[i].kick_fd < 0)
			continue;
		if (vmmio_kick_assign(t, i, false))
			log_warn("%s: cannot remove the ioeventfd of queue %u", t->name, i);
		close(t->queues[i].kick_fd);
		t->queues[i].kick_fd = -1;
	}
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->violation_lock);
}

int vmmio_set_nr_queues(struct vmmio *t, unsigned int nr)
{
	if (nr == 0 || nr > VMMIO_MAX_QUEUES)
		return -EINVAL;
	for (unsigned int i = t->nr_queues; i < nr; i++) {
		t->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->queues[i].kick_fd < 0)
			return -errno;
	}
	t->nr_queues = nr;
	return 0;
}

int vmmio_set_queue_max(struct vmmio *t, uint16_t max)
{
	if (max == 0 || max > t->ops->queue_max || (max & (max - 1)))
		return -EINVAL;
	t->queue_max = max;
	return 0;
}

uint64_t vmmio_features(const struct vmmio *t)
{
	return t->driver_features;
}

bool vmmio_queue(const struct vmmio *t, unsigned int index, struct vmmio_queue *out)
{
	if (index >= t->nr_queues || !t->queues[index].ready)
		return false;
	*out = t->queues[index];
	return true;
}

/* A queue's violation (virtq_set_owner), on its thread. */
static void vmmio_queue_violation(void *opaque, const struct virtq *q, int head, const char *msg)
{
	vmmio_violation(opaque, q, head, "%s", msg);
}

void vmmio_attach_queue(struct vmmio *t, unsigned int index, struct virtq *q)
{
	virtq_set_owner(q, t->name, index, vmmio_queue_violation, t);
}

void vmmio_interrupt(struct vmmio *t, uint32_t bits)
{
	uint64_t one = 1;

	atomic_fetch_or(&t->interrupt_status, bits);
	t->interrupts++;
	trace(TRACE_IRQ, "%s: gsi %u raised, InterruptStatus bits 0x%x", t->name, t->gsi, bits);
	/* Edge-triggered GSI: each write is one pulse (KVM_IRQFD on an edge-triggered IOAPIC pin). */
	if (t->irq_fd >= 0 && write(t->irq_fd, &one, sizeof(one)) < 0)
		log_warn("%s: cannot raise the interrupt: %s", t->name, strerror(errno));
}

void vmmio_set_needs_reset(struct vmmio *t)
{
	if (!atomic_exchange(&t->needs_reset, true)) {
		log_warn("%s: device needs reset (a corrupt ring, a lost backend, or "
			 "--virtio-strict=reset)", t->name);
		vmmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
	}
}

/* Status 0 (§2.4): the device stops, then every register returns to its initial value. */
static void vmmio_reset(struct vmmio *t)
{
	if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
		t->ops->reset(t->dev);
	for (unsigned int i = 0; i < t->nr_queues; i++) {
		int kick_fd = t->queues[i].kick_fd;

		if (vmmio_kick_assign(t, i, false))
			log_warn("%s: cannot remove the ioeventfd of queue %u", t->name, i);
		t->queues[i] = (struct vmmio_queue){ .kick_fd = kick_fd };
	}
	t->status = 0;
	t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	atomic_store(&t->interrupt_status, 0);
	atomic_store(&t->needs_reset, false);
}

static void vmmio_driver_ok(struct vmmio *t)
{
	int ret = 0;

	for (unsigned int i = 0; i < t->nr_queues && !ret; i++)
		if (t->queues[i].ready)
			ret = vmmio_kick_assign(t, i, true);
	if (ret) {
		log_err("%s: cannot install the queue ioeventfds: %s", t->name, strerror(-ret));
	} else {
		t->status |= VIRTIO_CONFIG_S_DRIVER_OK;
		t->driver_ok_features = t->driver_features;
		t->driver_ok_count++;
		ret = t->ops->activate(t->dev, t);
	}
	if (ret)
		vmmio_set_needs_reset(t);
}

/* Setting FEATURES_OK (§3.1.1 step 5): refuse what we cannot honour by leaving it clear. */
static void vmmio_features_ok(struct vmmio *t)
{
	if (!(t->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		vmmio_guest_err(t, VMMIO_ERR_FEATURES, "VERSION_1 not acked (legacy drivers unsupported)");
		return;
	}
	if (t->ops->check_features && t->ops->check_features(t->dev, t->driver_features)) {
		vmmio_guest_err(t, VMMIO_ERR_FEATURES, "inconsistent features 0x%llx",
				(unsigned long long)t->driver_features);
		return;
	}
	t->status |= VIRTIO_CONFIG_S_FEATURES_OK;
}

static void vmmio_write_status(struct vmmio *t, uint32_t v)
{
	uint32_t added;

	if (v == 0) {
		vmmio_reset(t);
		return;
	}
	if (v & ~(STATUS_KNOWN | VIRTIO_CONFIG_S_NEEDS_RESET))
		vmmio_guest_err(t, VMMIO_ERR_STATUS, "reserved status bits 0x%x", v);
	v &= STATUS_KNOWN;
	/* §2.1.1: the driver only sets bits; clearing one takes a reset. */
	if (t->status & ~v) {
		vmmio_guest_err(t, VMMIO_ERR_STATUS, "status 0x%x clears bits of 0x%x", v, t->status);
		return;
	}
	added = v & ~t->status;
	t->status |= added & (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FAILED);
	if (added & VIRTIO_CONFIG_S_FEATURES_OK)
		vmmio_features_ok(t);
	if (added & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (!(t->status & VIRTIO_CONFIG_S_FEATURES_OK))
			vmmio_guest_err(t, VMMIO_ERR_STATUS, "DRIVER_OK without FEATURES_OK");
		else
			vmmio_driver_ok(t);
	}
}

static void vmmio_write_features(struct vmmio *t, uint32_t v)
{
	uint32_t page = t->drv_features_sel;
	uint32_t offered = page < 2 ? (uint32_t)(t->offered >> (32 * page)) : 0;

	if (t->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		vmmio_guest_err(t, VMMIO_ERR_FEATURES, "features written after FEATURES_OK");
		return;
	}
	if (v & ~offered)
		vmmio_guest_err(t, VMMIO_ERR_FEATURES, "acked unoffered bits 0x%x in page %u",
				v & ~offered, page);
	if (page >= 2)
		return;
	/* §2.2.2: the device ignores bits it did not offer. */
	t->driver_features &= ~(0xffffffffULL << (32 * page));
	t->driver_features |= (uint64_t)(v & offered) << (32 * page);
}

/* The selected queue, if the driver may still configure it (§4.2.3.2). */
static struct vmmio_queue *vmmio_setup_queue(struct vmmio *t, const char *reg)
{
	struct vmmio_queue *q;

	if (t->queue_sel >= t->nr_queues) {
		vmmio_guest_err(t, VMMIO_ERR_QUEUE_SEL, "%s with QueueSel %u", reg, t->queue_sel);
		return NULL;
	}
	q = &t->queues[t->queue_sel];
	if (q->ready || (t->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		vmmio_guest_err(t, VMMIO_ERR_QUEUE, "%s of queue %u while it is live", reg,
				t->queue_sel);
		return NULL;
	}
	return q;
}

static void vmmio_set_addr(uint64_t *addr, bool high, uint32_t v)
{
	*addr = high ? (*addr & 0xffffffffULL) | ((uint64_t)v << 32) : (*addr & ~0xffffffffULL) | v;
}

static void vmmio_queue_ready(struct vmmio *t, struct vmmio_queue *q, uint32_t v)
{
	if (v != 1) {
		if (v != 0)
			vmmio_guest_err(t, VMMIO_ERR_QUEUE, "QueueReady %u", v);
		return;
	}
	if (q->num > t->queue_max ||
	    virtq_validate(t->gm, q->num, q->desc, q->avail, q->used)) {
		vmmio_guest_err(t, VMMIO_ERR_QUEUE, "queue %u: size %u, rings 0x%llx/0x%llx/0x%llx "
				"rejected", t->queue_sel, q->num, (unsigned long long)q->desc,
				(unsigned long long)q->avail, (unsigned long long)q->used);
		return;
	}
	q->ready = true;
}

static void vmmio_write_queue_reg(struct vmmio *t, uint64_t off, uint32_t v)
{
	static const char *const names[] = {
		[VIRTIO_MMIO_QUEUE_NUM / 4] = "QueueNum",
		[VIRTIO_MMIO_QUEUE_READY / 4] = "QueueReady",
		[VIRTIO_MMIO_QUEUE_DESC_LOW / 4] = "QueueDescLow",
		[VIRTIO_MMIO_QUEUE_DESC_HIGH / 4] = "QueueDescHigh",
		[VIRTIO_MMIO_QUEUE_AVAIL_LOW / 4] = "QueueDriverLow",
		[VIRTIO_MMIO_QUEUE_AVAIL_HIGH / 4] = "QueueDriverHigh",
		[VIRTIO_MMIO_QUEUE_USED_LOW / 4] = "QueueDeviceLow",
		[VIRTIO_MMIO_QUEUE_USED_HIGH / 4] = "QueueDeviceHigh",
	};
	struct vmmio_queue *q = vmmio_setup_queue(t, names[off / 4]);

	if (!q)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->num = v > UINT16_MAX ? 0 : v; break;
	case VIRTIO_MMIO_QUEUE_READY: vmmio_queue_ready(t, q, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		vmmio_set_addr(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		vmmio_set_addr(&q->avail, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	default:
		vmmio_set_addr(&q->used, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	}
}

static void vmmio_notify(struct vmmio *t, uint32_t v)
{
	uint64_t one = 1;

	/* A kick KVM did not absorb: no ioeventfd (tests), or no such queue, or too early. */
	if (v >= t->nr_queues || !t->queues[v].ready ||
	    !(t->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		vmmio_guest_err(t, VMMIO_ERR_NOTIFY, "QueueNotify %u (status 0x%x)", v, t->status);
		return;
	}
	if (atomic_load(&t->needs_reset))
		return;
	/* Do what the ioeventfd would have done: the device's I/O thread polls this fd. */
	t->userspace_kicks++;
	if (write(t->queues[v].kick_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot forward a kick: %s", t->name, strerror(errno));
}

static void vmmio_write_reg(struct vmmio *t, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES: vmmio_write_features(t, v); break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->drv_features_sel = v; break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: vmmio_notify(t, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&t->interrupt_status, ~v); break;
	case VIRTIO_MMIO_STATUS: vmmio_write_status(t, v); break;
	case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
		vmmio_write_queue_reg(t, off, v);
		break;
	default:
		vmmio_guest_err(t, VMMIO_ERR_ACCESS, "write 0x%x to read-only or undefined 0x%llx", v,
				(unsigned long long)off);
		break;
	}
}

static uint32_t vmmio_read_queue_reg(struct vmmio *t, uint64_t off)
{
	const struct vmmio_queue *q;

	if (t->queue_sel >= t->nr_queues) {
		/* §4.2.2: QueueNumMax reads 0 for a queue that does not exist; so does the rest. */
		if (off != VIRTIO_MMIO_QUEUE_NUM_MAX)
			vmmio_guest_err(t, VMMIO_ERR_QUEUE_SEL, "read 0x%llx with QueueSel %u",
					(unsigned long long)off, t->queue_sel);
		return 0;
	}
	q = &t->queues[t->queue_sel];
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return t->queue_max;
	case VIRTIO_MMIO_QUEUE_NUM: return q->num;
	case VIRTIO_MMIO_QUEUE_READY: return q->ready;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: return (uint32_t)q->desc;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: return q->desc >> 32;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: return (uint32_t)q->avail;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: return q->avail >> 32;
	case VIRTIO_MMIO_QUEUE_USED_LOW: return (uint32_t)q->used;
	default: return q->used >> 32;
	}
}

static uint32_t vmmio_read_reg(struct vmmio *t, uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VMMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID: return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VMMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->dev_features_sel < 2 ? (uint32_t)(t->offered >> (32 * t->dev_features_sel)) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&t->interrupt_status);
	case VIRTIO_MMIO_STATUS:
		return t->status | (atomic_load(&t->needs_reset) ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
	case VIRTIO_MMIO_CONFIG_GENERATION: return t->config_generation;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return vmmio_read_queue_reg(t, off);
	default:
		vmmio_guest_err(t, VMMIO_ERR_ACCESS, "read of write-only or undefined 0x%llx",
				(unsigned long long)off);
		return 0;
	}
}

/* Config space: any width up to 4 that stays inside it (§4.2.2.1); else reads 0, writes dropped. */
static bool vmmio_config_ok(struct vmmio *t, uint64_t off, unsigned int size)
{
	uint64_t rel = off - VIRTIO_MMIO_CONFIG;

	if ((size == 1 || size == 2 || size == 4) && rel < t->ops->config_size &&
	    size <= t->ops->config_size - rel)
		return true;
	vmmio_guest_err(t, VMMIO_ERR_CONFIG, "config access of %u bytes at 0x%llx (size %u)", size,
			(unsigned long long)rel, t->ops->config_size);
	return false;
}

void vmmio_read(struct vmmio *t, uint64_t off, uint8_t *data, unsigned int size)
{
	uint32_t v;

	memset(data, 0, size);
	pthread_mutex_lock(&t->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (vmmio_config_ok(t, off, size) && t->ops->config_read)
			t->ops->config_read(t->dev, off - VIRTIO_MMIO_CONFIG, data, size);
		trace(TRACE_MMIO, "%s: read  config 0x%llx, %u bytes", t->name,
		      (unsigned long long)(off - VIRTIO_MMIO_CONFIG), size);
	} else if (size != 4 || off % 4) {
		/* §4.2.2.2: registers are read and written 32 bits at a time, aligned. */
		vmmio_guest_err(t, VMMIO_ERR_ACCESS, "%u-byte read at 0x%llx", size,
				(unsigned long long)off);
	} else {
		v = vmmio_read_reg(t, off);
		memcpy(data, &v, 4);
		trace(TRACE_MMIO, "%s: read  0x%03llx -> 0x%x", t->name, (unsigned long long)off, v);
	}
	pthread_mutex_unlock(&t->lock);
}

void vmmio_write(struct vmmio *t, uint64_t off, const uint8_t *data, unsigned int size)
{
	uint32_t v;

	pthread_mutex_lock(&t->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		trace(TRACE_MMIO, "%s: write config 0x%llx, %u bytes", t->name,
		      (unsigned long long)(off - VIRTIO_MMIO_CONFIG), size);
		if (vmmio_config_ok(t, off, size) && t->ops->config_write)
			t->ops->config_write(t->dev, off - VIRTIO_MMIO_CONFIG, data, size);
	} else if (size != 4 || off % 4) {
		vmmio_guest_err(t, VMMIO_ERR_ACCESS, "%u-byte write at 0x%llx", size,
				(unsigned long long)off);
	} else {
		memcpy(&v, data, 4);
		trace(TRACE_MMIO, "%s: write 0x%03llx <- 0x%x", t->name, (unsigned long long)off, v);
		vmmio_write_reg(t, off, v);
	}
	pthread_mutex_unlock(&t->lock);
}

static void vmmio_bus_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	vmmio_read(opaque, off, data, size);
}

static void vmmio_bus_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	vmmio_write(opaque, off, data, size);
}

struct bus_dev vmmio_bus_dev(struct vmmio *t)
{
	return (struct bus_dev){ .name = t->name, .base = t->base, .len = VMMIO_WINDOW,
				 .read = vmmio_bus_read, .write = vmmio_bus_write, .opaque = t };
}

void vmmio_metrics(struct vmmio *t, FILE *out)
{
	pthread_mutex_lock(&t->lock);
	fprintf(out, "\"transport\":{\"status\":%u,\"features\":%llu,\"negotiated\":%llu,"
		"\"driver_ok\":%llu,\"interrupts\":%llu,"
		"\"userspace_kicks\":%llu,\"violations\":%llu,\"driver_errors\":{", t->status |
		(atomic_load(&t->needs_reset) ? VIRTIO_CONFIG_S_NEEDS_RESET : 0),
		(unsigned long long)t->driver_features, (unsigned long long)t->driver_ok_features,
		(unsigned long long)t->driver_ok_count, (unsigned long long)atomic_load(&t->interrupts),
		(unsigned long long)t->userspace_kicks,
		(unsigned long long)atomic_load(&t->violations));
	for (int e = 0; e < VMMIO_ERR_MAX; e++)
		fprintf(out, "%s\"%s\":%llu", e ? "," : "", vmmio_err_names[e],
			(unsigned long long)atomic_load(&t->errors[e]));
	fprintf(out, "}}");
	pthread_mutex_unlock(&t->lock);
}

/* One queue's setup (transport), the indices the driver published, and the device's cursors. */
static void vmmio_dump_queue(struct vmmio *t, unsigned int i, const struct virtq *q)
{
	const struct vmmio_queue *c = &t->queues[i];
	const volatile uint16_t *avail = gmem_ptr(t->gm, GPA(c->avail), 4);
	const volatile uint16_t *used = gmem_ptr(t->gm, GPA(c->used), 4);

	fprintf(stderr, "  queue %u: size %u ready %d desc 0x%llx avail 0x%llx used 0x%llx", i,
		c->num, c->ready, (unsigned long long)c->desc, (unsigned long long)c->avail,
		(unsigned long long)c->used);
	if (c->ready && avail && used)
		fprintf(stderr, " avail.idx %u used.idx %u", avail[1], used[1]);
	if (q && q->size)
		fprintf(stderr, " next_avail %u next_used %u broken %d",
			__atomic_load_n(&q->next_avail, __ATOMIC_RELAXED),
			__atomic_load_n(&q->next_used, __ATOMIC_RELAXED),
			(int)__atomic_load_n(&q->broken, __ATOMIC_RELAXED));
	fprintf(stderr, "\n");
}

/*
 * The device state for --virtio-strict=abort. It runs without t->lock (a
 * vCPU may hold it while it waits for this thread); the other threads'
 * fields are read as a snapshot that may be a moment old.
 */
static void vmmio_dump(struct vmmio *t, const struct virtq *q, int head, const char *msg)
{
	uint32_t status = __atomic_load_n(&t->status, __ATOMIC_RELAXED);

	flockfile(stderr);
	fprintf(stderr, "minnow: virtio-strict: %s: driver violation: %s\n", t->name, msg);
	fprintf(stderr, "  status 0x%x%s (ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8)\n",
		status, atomic_load(&t->needs_reset) ? " + NEEDS_RESET" : "");
	fprintf(stderr, "  features offered 0x%llx acked 0x%llx\n", (unsigned long long)t->offered,
		(unsigned long long)__atomic_load_n(&t->driver_features, __ATOMIC_RELAXED));
	for (unsigned int i = 0; i < t->nr_queues; i++)
		vmmio_dump_queue(t, i, t->ops->queue ? t->ops->queue(t->dev, i) : NULL);
	if (q && head >= 0 && head < q->size)
		virtq_dump_chain(q, head, stderr);
	funlockfile(stderr);
}

/*
 * --virtio-strict=abort: stop first, so that nothing the guest does meanwhile
 * ends the run another way: the main thread stops the vCPUs and devices
 * (joining this thread before guest RAM goes) and exits with status 5. The
 * vCPU kick signal waits until the dump is written.
 */
static void vmmio_abort(struct vmmio *t, const struct virtq *q, int head, const char *msg)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (vdev_strict_abort())
		vmmio_dump(t, q, head, msg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void vmmio_fault(struct vmmio *t, enum vmmio_fault kind, const struct virtq *q, int head,
		 const char *fmt, ...)
{
	enum vdev_strict mode = vdev_strict_mode();
	bool violation = kind == VMMIO_VIOLATION, log;
	char msg[256];
	va_list ap;

	if (violation)
		atomic_fetch_add(&t->violations, 1);
	if (violation && mode == VDEV_STRICT_OFF)
		return;
	pthread_mutex_lock(&t->violation_lock);
	log = LOG_WARN <= log_threshold && log_ratelimit_ok(&t->rl, log_now_ns());
	pthread_mutex_unlock(&t->violation_lock);
	if (log || (violation && mode == VDEV_STRICT_ABORT)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (!violation) {
		if (log)
			log_warn("%s: %s", t->name, msg);
		return;
	}
	if (log && mode != VDEV_STRICT_ABORT)	/* abort: the dump says it */
		log_warn("%s: %s", t->name, msg);
	if (mode == VDEV_STRICT_RESET)
		vmmio_set_needs_reset(t);
	if (mode == VDEV_STRICT_ABORT)
		vmmio_abort(t, q, head, msg);
}
