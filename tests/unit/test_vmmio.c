// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/vmmio: the register file and state machine against a hostile
// driver (docs/catalogue.md H1-H12), with a fake device that records what it is asked.
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/vmmio.h"
#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

#define F_BASE	 0	/* a device feature */
#define F_NEEDS	 1	/* only valid together with F_BASE */

struct fake_dev {
	uint8_t config[8];
	unsigned int activations, resets;
	int activate_ret;
};

static uint64_t fake_features(void *dev __unused)
{
	return VIRTIO_BIT(F_BASE) | VIRTIO_BIT(F_NEEDS) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
}

static int fake_check(void *dev __unused, uint64_t f)
{
	return (f & VIRTIO_BIT(F_NEEDS)) && !(f & VIRTIO_BIT(F_BASE)) ? -EINVAL : 0;
}

static void fake_cfg_read(void *dev, uint32_t off, uint8_t *d, uint32_t len)
{
	memcpy(d, ((struct fake_dev *)dev)->config + off, len);
}

static void fake_cfg_write(void *dev, uint32_t off, const uint8_t *d, uint32_t len)
{
	memcpy(((struct fake_dev *)dev)->config + off, d, len);
}

static int fake_activate(void *dev, struct vmmio *t __unused)
{
	((struct fake_dev *)dev)->activations++;
	return ((struct fake_dev *)dev)->activate_ret;
}

static void fake_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

static const struct vdev_ops fake_ops = {
	.name = "fake", .device_id = 42, .nr_queues = 2, .queue_max = 64, .config_size = 8,
	.features = fake_features, .check_features = fake_check, .config_read = fake_cfg_read,
	.config_write = fake_cfg_write, .activate = fake_activate, .reset = fake_reset,
};

static struct fake_gmem f;
static struct fake_dev dev;
static struct vmmio t;
static int irq_fd;

static void setup(void)
{
	fake_gmem_init(&f, 1 << 20, 0, 0);
	memset(&dev, 0, sizeof(dev));
	memcpy(dev.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	irq_fd = eventfd(0, EFD_NONBLOCK);
	ck_assert_int_eq(vmmio_init(&t, &fake_ops, &dev, &f.gm, 0xd0000000, 5, -1, irq_fd), 0);
	log_threshold = LOG_ERROR;	/* the driver errors below are expected */
}

static void teardown(void)
{
	vmmio_destroy(&t);
	close(irq_fd);
	fake_gmem_destroy(&f);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v;

	vmmio_read(&t, off, (uint8_t *)&v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	vmmio_write(&t, off, (const uint8_t *)&v, 4);
}

/* Kicks forwarded to queue q's eventfd since the last look (what the device's thread would see). */
static uint64_t kicks(unsigned int q)
{
	uint64_t n = 0;

	if (read(t.queues[q].kick_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint64_t errs(enum vmmio_err e)
{
	return atomic_load(&t.errors[e]);
}

/* A driver that does everything right up to DRIVER_OK, with queue 0 at 0x1000. */
static void good_setup(uint32_t features_lo)
{
	wr(0x070, 1);
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, features_lo);
	wr(0x024, 1);
	wr(0x020, 1);	/* VERSION_1 */
	wr(0x070, 0xb);
	ck_assert_uint_eq(rd(0x070), 0xb);
	wr(0x030, 0);
	wr(0x038, 16);
	wr(0x080, 0x1000);
	wr(0x090, 0x2000);
	wr(0x0a0, 0x3000);
	wr(0x044, 1);
	ck_assert_uint_eq(rd(0x044), 1);
}

START_TEST(test_vmmio_identity_registers)
{
	ck_assert_uint_eq(rd(0x000), 0x74726976);
	ck_assert_uint_eq(rd(0x004), 2);
	ck_assert_uint_eq(rd(0x008), 42);
	ck_assert_uint_eq(rd(0x00c), 0x574f4e4d);
	wr(0x014, 0);
	ck_assert_uint_eq(rd(0x010), (1u << 0) | (1u << 1) | (1u << 29));
	wr(0x014, 1);
	ck_assert_uint_eq(rd(0x010), 1);	/* VERSION_1 */
	wr(0x014, 7);
	ck_assert_uint_eq(rd(0x010), 0);
}
END_TEST

START_TEST(test_vmmio_good_driver_activates)
{
	good_setup(VIRTIO_BIT(F_BASE) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	wr(0x070, 0xf);
	ck_assert_uint_eq(rd(0x070), 0xf);
	ck_assert_uint_eq(dev.activations, 1);
	ck_assert_uint_eq(vmmio_features(&t), VIRTIO_BIT(F_BASE) |
					      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
					      VIRTIO_BIT(VIRTIO_F_VERSION_1));
	for (int e = 0; e < VMMIO_ERR_MAX; e++)
		ck_assert_uint_eq(errs(e), 0);
	wr(0x050, 1);	/* queue 1 is not ready: ignored */
	ck_assert_uint_eq(kicks(1), 0);
	ck_assert_uint_eq(errs(VMMIO_ERR_NOTIFY), 1);
	wr(0x050, 0);
	ck_assert_uint_eq(kicks(0), 1);
	ck_assert_uint_eq(kicks(1), 0);
	ck_assert_uint_eq(t.userspace_kicks, 1);
}
END_TEST

START_TEST(test_vmmio_queue_sel_out_of_range_raz_wi)
{
	wr(0x070, 3);
	wr(0x030, 2);
	ck_assert_uint_eq(rd(0x034), 0);	/* QueueNumMax: no such queue */
	ck_assert_uint_eq(rd(0x044), 0);
	wr(0x038, 16);
	wr(0x080, 0x1000);
	wr(0x044, 1);
	ck_assert_uint_eq(rd(0x044), 0);
	wr(0x030, 0xffffffff);
	wr(0x044, 1);
	ck_assert_uint_eq(errs(VMMIO_ERR_QUEUE_SEL), 6);	/* 4 writes, 2 reads of QueueReady */
	wr(0x030, 1);
	ck_assert_uint_eq(rd(0x034), 64);
	ck_assert_uint_eq(rd(0x038), 0);
}
END_TEST

START_TEST(test_vmmio_notify_bad_index_or_too_early_ignored)
{
	wr(0x050, 0);	/* before DRIVER_OK */
	good_setup(0);
	wr(0x050, 0);	/* still before DRIVER_OK */
	wr(0x070, 0xf);
	wr(0x050, 2);
	wr(0x050, 0xffffffff);
	ck_assert_uint_eq(kicks(0) + kicks(1), 0);
	ck_assert_uint_eq(errs(VMMIO_ERR_NOTIFY), 4);
}
END_TEST

START_TEST(test_vmmio_bad_widths_and_offsets_ignored)
{
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	vmmio_read(&t, 0x000, b, 2);
	ck_assert_uint_eq(b[0] | b[1], 0);
	vmmio_read(&t, 0x002, b, 4);
	ck_assert_uint_eq(b[0], 0);
	vmmio_read(&t, 0x000, b, 8);
	vmmio_write(&t, 0x070, (const uint8_t *)"\x01", 1);
	ck_assert_uint_eq(rd(0x070), 0);
	ck_assert_uint_eq(rd(0x0c0), 0);
	ck_assert_uint_eq(rd(0x0f8), 0);
	wr(0x0c4, 5);
	ck_assert_uint_eq(errs(VMMIO_ERR_ACCESS), 7);
}
END_TEST

START_TEST(test_vmmio_config_space_bounds)
{
	uint8_t b[4];

	vmmio_read(&t, 0x100, b, 4);
	ck_assert_mem_eq(b, "\x01\x02\x03\x04", 4);
	vmmio_read(&t, 0x107, b, 1);
	ck_assert_uint_eq(b[0], 8);
	memset(b, 0xee, 4);
	vmmio_read(&t, 0x106, b, 4);	/* straddles the end */
	ck_assert_mem_eq(b, "\0\0\0\0", 4);
	vmmio_read(&t, 0x108, b, 1);	/* past the end */
	ck_assert_uint_eq(b[0], 0);
	vmmio_read(&t, 0x100, b, 3);	/* odd width */
	vmmio_write(&t, 0x106, (const uint8_t *)"\xaa\xbb\xcc\xdd", 4);
	ck_assert_uint_eq(dev.config[6], 7);
	vmmio_write(&t, 0x104, (const uint8_t *)"\xaa\xbb", 2);
	ck_assert_uint_eq(dev.config[4], 0xaa);
	ck_assert_uint_eq(errs(VMMIO_ERR_CONFIG), 4);
}
END_TEST

START_TEST(test_vmmio_read_only_registers_unchanged)
{
	wr(0x000, 0);
	wr(0x004, 1);
	wr(0x008, 1);
	wr(0x034, 1024);
	wr(0x060, 3);
	wr(0x0fc, 9);
	ck_assert_uint_eq(rd(0x000), 0x74726976);
	ck_assert_uint_eq(rd(0x004), 2);
	ck_assert_uint_eq(rd(0x008), 42);
	ck_assert_uint_eq(rd(0x0fc), 0);
	ck_assert_uint_eq(errs(VMMIO_ERR_ACCESS), 6);
}
END_TEST

START_TEST(test_vmmio_features_masked_and_dependencies_refused)
{
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, 0xffffffff);	/* everything: only offered bits stick */
	wr(0x024, 1);
	wr(0x020, 1);
	ck_assert_uint_eq(vmmio_features(&t), fake_features(NULL) | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(errs(VMMIO_ERR_FEATURES), 1);
	wr(0x024, 0);
	wr(0x020, VIRTIO_BIT(F_NEEDS));	/* F_NEEDS without F_BASE */
	wr(0x070, 0xb);
	ck_assert_uint_eq(rd(0x070), 3);	/* FEATURES_OK refused */
	ck_assert_uint_eq(errs(VMMIO_ERR_FEATURES), 2);
	wr(0x024, 5);
	wr(0x020, 1);	/* a page that does not exist */
	ck_assert_uint_eq(errs(VMMIO_ERR_FEATURES), 3);
}
END_TEST

START_TEST(test_vmmio_version_1_required)
{
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, VIRTIO_BIT(F_BASE));
	wr(0x070, 0xb);
	ck_assert_uint_eq(rd(0x070), 3);
	ck_assert_uint_eq(errs(VMMIO_ERR_FEATURES), 1);
}
END_TEST

START_TEST(test_vmmio_features_frozen_after_features_ok)
{
	good_setup(VIRTIO_BIT(F_BASE));
	wr(0x024, 0);
	wr(0x020, 0);
	ck_assert_uint_eq(vmmio_features(&t) & VIRTIO_BIT(F_BASE), VIRTIO_BIT(F_BASE));
	ck_assert_uint_eq(errs(VMMIO_ERR_FEATURES), 1);
}
END_TEST

START_TEST(test_vmmio_status_violations)
{
	wr(0x070, 0x7);	/* DRIVER_OK without FEATURES_OK */
	ck_assert_uint_eq(rd(0x070), 3);
	ck_assert_uint_eq(dev.activations, 0);
	wr(0x070, 1);	/* clears DRIVER */
	ck_assert_uint_eq(rd(0x070), 3);
	wr(0x070, 0x103);	/* reserved bit */
	ck_assert_uint_eq(rd(0x070), 3);
	ck_assert_uint_eq(errs(VMMIO_ERR_STATUS), 3);
	good_setup(0);
	wr(0x070, 0xf);
	wr(0x070, 0xf);	/* DRIVER_OK twice: one activation */
	ck_assert_uint_eq(dev.activations, 1);
	wr(0x070, 0x8f);	/* FAILED: accepted, no action */
	ck_assert_uint_eq(rd(0x070), 0x8f);
	ck_assert_uint_eq(dev.resets, 0);
}
END_TEST

START_TEST(test_vmmio_queue_setup_after_driver_ok_ignored)
{
	good_setup(0);
	wr(0x070, 0xf);
	wr(0x038, 32);
	wr(0x080, 0x8000);
	wr(0x030, 1);
	wr(0x038, 16);
	wr(0x044, 1);
	ck_assert_uint_eq(rd(0x044), 0);
	wr(0x030, 0);
	ck_assert_uint_eq(rd(0x038), 16);
	ck_assert_uint_eq(rd(0x080), 0x1000);
	ck_assert_uint_eq(errs(VMMIO_ERR_QUEUE), 4);
}
END_TEST

START_TEST(test_vmmio_queue_ready_validates)
{
	static const struct { uint32_t num; uint64_t desc, avail, used; } bad[] = {
		{ 0, 0x1000, 0x2000, 0x3000 },		/* size 0 */
		{ 12, 0x1000, 0x2000, 0x3000 },		/* not a power of two */
		{ 128, 0x1000, 0x2000, 0x3000 },	/* above QueueNumMax 64 */
		{ 16, 0x1008, 0x2000, 0x3000 },		/* desc not 16-aligned */
		{ 16, 0x1000, 0x2001, 0x3000 },		/* avail not 2-aligned */
		{ 16, 0x1000, 0x2000, 0x3002 },		/* used not 4-aligned */
		{ 16, 0xfff80, 0x2000, 0x3000 },	/* desc runs past the end of RAM */
		{ 16, 0x1000, 0x2000, 0x100000 },	/* used outside RAM */
		{ 16, 0xfffffffffffff000ULL, 0x2000, 0x3000 }, /* top of the address space */
	};

	wr(0x070, 3);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		wr(0x038, bad[i].num);
		wr(0x080, (uint32_t)bad[i].desc);
		wr(0x084, bad[i].desc >> 32);
		wr(0x090, (uint32_t)bad[i].avail);
		wr(0x094, 0);
		wr(0x0a0, (uint32_t)bad[i].used);
		wr(0x0a4, 0);
		wr(0x044, 1);
		ck_assert_msg(rd(0x044) == 0, "case %u became ready", i);
	}
	ck_assert_uint_eq(errs(VMMIO_ERR_QUEUE), ARRAY_SIZE(bad));
}
END_TEST

START_TEST(test_vmmio_reset_clears_everything)
{
	good_setup(VIRTIO_BIT(F_BASE));
	wr(0x070, 0xf);
	vmmio_interrupt(&t, VIRTIO_MMIO_INT_VRING);
	ck_assert_uint_eq(rd(0x060), 1);
	wr(0x070, 0);
	ck_assert_uint_eq(dev.resets, 1);
	ck_assert_uint_eq(rd(0x070), 0);
	ck_assert_uint_eq(rd(0x060), 0);
	ck_assert_uint_eq(rd(0x044), 0);
	ck_assert_uint_eq(rd(0x080), 0);
	ck_assert_uint_eq(vmmio_features(&t), 0);
	/* What the metrics report as negotiated survives the reset. */
	ck_assert_uint_eq(t.driver_ok_features, VIRTIO_BIT(F_BASE) | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(t.driver_ok_count, 1);
	wr(0x050, 0);
	ck_assert_uint_eq(kicks(0), 0);
	/* Back-to-back resets and a full re-initialisation, many times over. */
	for (int i = 0; i < 1000; i++) {
		wr(0x070, 0);
		wr(0x070, 0);
		good_setup(0);
		wr(0x070, 0xf);
	}
	ck_assert_uint_eq(dev.activations, 1001);
	ck_assert_uint_eq(t.driver_ok_count, 1001);
	ck_assert_uint_eq(t.driver_ok_features, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(dev.resets, 1000);
}
END_TEST

START_TEST(test_vmmio_interrupt_status_and_ack)
{
	uint64_t pulses = 0;

	vmmio_interrupt(&t, VIRTIO_MMIO_INT_VRING);
	vmmio_interrupt(&t, VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(rd(0x060), 3);
	ck_assert_int_eq(read(irq_fd, &pulses, 8), 8);
	ck_assert_uint_eq(pulses, 2);
	wr(0x064, 1);
	ck_assert_uint_eq(rd(0x060), 2);
	wr(0x064, 0xfffffffe);
	ck_assert_uint_eq(rd(0x060), 0);
}
END_TEST

START_TEST(test_vmmio_needs_reset_once_until_reset)
{
	uint64_t pulses = 0;

	good_setup(0);
	wr(0x070, 0xf);
	vmmio_set_needs_reset(&t);
	vmmio_set_needs_reset(&t);
	ck_assert_uint_eq(rd(0x070), 0x4f);
	ck_assert_uint_eq(rd(0x060), VIRTIO_MMIO_INT_CONFIG);
	ck_assert_int_eq(read(irq_fd, &pulses, 8), 8);
	ck_assert_uint_eq(pulses, 1);
	wr(0x050, 0);	/* kicks are not passed on while broken */
	ck_assert_uint_eq(kicks(0), 0);
	wr(0x070, 0x4f);	/* the driver cannot set or clear NEEDS_RESET itself */
	ck_assert_uint_eq(rd(0x070), 0x4f);
	wr(0x070, 0);
	ck_assert_uint_eq(rd(0x070), 0);
}
END_TEST

START_TEST(test_vmmio_activate_failure_needs_reset)
{
	dev.activate_ret = -EINVAL;
	good_setup(0);
	wr(0x070, 0xf);
	ck_assert_uint_eq(rd(0x070) & VIRTIO_CONFIG_S_NEEDS_RESET, VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

static unsigned int strict_stops;

static void strict_stop(void *opaque)
{
	ck_assert_ptr_eq(opaque, &t);
	strict_stops++;
}

/* --virtio-strict: each mode against a 2-byte register read (§4.2.2.2), a driver violation. */
START_TEST(test_vmmio_strict_modes)
{
	uint16_t v;
	uint64_t n = 0;

	vdev_strict_set(VDEV_STRICT_OFF, strict_stop, &t);
	vmmio_read(&t, 0x70, (uint8_t *)&v, 2);
	ck_assert_uint_eq(errs(VMMIO_ERR_ACCESS), 1);
	ck_assert_uint_eq(atomic_load(&t.violations), 1);
	ck_assert(!atomic_load(&t.needs_reset));
	/* A legal request the device cannot serve is no violation: never a reset. */
	vdev_strict_set(VDEV_STRICT_RESET, strict_stop, &t);
	vmmio_fault(&t, VMMIO_UNSUPPORTED, NULL, -1, "test");
	ck_assert_uint_eq(atomic_load(&t.violations), 1);
	ck_assert(!atomic_load(&t.needs_reset));
	vmmio_read(&t, 0x70, (uint8_t *)&v, 2);
	ck_assert_uint_eq(atomic_load(&t.violations), 2);
	ck_assert(atomic_load(&t.needs_reset));
	ck_assert_uint_eq(rd(0x060) & VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_CONFIG);
	ck_assert_int_eq(read(irq_fd, &n, sizeof(n)), sizeof(n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(strict_stops, 0);
	/* abort: the machine is asked to stop once, however many violations follow. */
	vdev_strict_set(VDEV_STRICT_ABORT, strict_stop, &t);
	vmmio_read(&t, 0x70, (uint8_t *)&v, 2);
	wr(0x0c0, 1);
	ck_assert_uint_eq(strict_stops, 1);
	ck_assert_uint_eq(atomic_load(&t.violations), 4);
	ck_assert_uint_eq(errs(VMMIO_ERR_ACCESS), 4);
	vdev_strict_set(VDEV_STRICT_WARN, NULL, NULL);
}
END_TEST

Suite *vmmio_suite(void)
{
	Suite *s = suite_create("vmmio");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vmmio_identity_registers);
	tcase_add_test(tc, test_vmmio_good_driver_activates);
	tcase_add_test(tc, test_vmmio_queue_sel_out_of_range_raz_wi);
	tcase_add_test(tc, test_vmmio_notify_bad_index_or_too_early_ignored);
	tcase_add_test(tc, test_vmmio_bad_widths_and_offsets_ignored);
	tcase_add_test(tc, test_vmmio_config_space_bounds);
	tcase_add_test(tc, test_vmmio_read_only_registers_unchanged);
	tcase_add_test(tc, test_vmmio_features_masked_and_dependencies_refused);
	tcase_add_test(tc, test_vmmio_version_1_required);
	tcase_add_test(tc, test_vmmio_features_frozen_after_features_ok);
	tcase_add_test(tc, test_vmmio_status_violations);
	tcase_add_test(tc, test_vmmio_queue_setup_after_driver_ok_ignored);
	tcase_add_test(tc, test_vmmio_queue_ready_validates);
	tcase_add_test(tc, test_vmmio_reset_clears_everything);
	tcase_add_test(tc, test_vmmio_interrupt_status_and_ack);
	tcase_add_test(tc, test_vmmio_needs_reset_once_until_reset);
	tcase_add_test(tc, test_vmmio_activate_failure_needs_reset);
	tcase_add_test(tc, test_vmmio_strict_modes);
	suite_add_tcase(s, tc);
	return s;
}
