// SPDX-License-Identifier: MIT
// Unit tests for firmware/bzimage: Debian's real kernel header and crafted malformed ones.
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/e820.h"
#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

#define E820_FOR(ram) \
	(const struct e820_entry[]){ { 0, 0x9fc00, E820_RAM }, { 0x9fc00, 0x60400, E820_RESERVED }, \
				     { 0x100000, (ram) - 0x100000, E820_RAM } }
#include "firmware/bzimage.h"

#define IMG_SIZE (64 * 1024)

static uint8_t img[IMG_SIZE];
static char err[512];

/* A minimal valid bzImage: boot protocol 2.15, one setup sector, 64-bit entry. */
static void craft(void)
{
	struct setup_header *h = (void *)(img + 0x1f1);

	memset(img, 0, sizeof(img));
	h->setup_sects = 1;
	h->boot_flag = 0xaa55;
	h->jump = 0x00eb | ((sizeof(*h) - (0x202 - 0x1f1)) << 8);	/* byte 0x201: header length */
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = 0x01;
	h->xloadflags = XLF_KERNEL_64;
	h->cmdline_size = 255;
	h->initrd_addr_max = 0x7fffffff;
	h->init_size = 0x200000;
	h->payload_offset = 0x100;
	h->payload_length = 0x1000;
	img[1024] = 0x5a;	/* first byte of the protected-mode part */
}

static int parse(size_t size)
{
	struct boot_image bi = { img, size };
	struct bzimage_info info;

	err[0] = 0;
	return bzimage_parse(&bi, &info, err, sizeof(err));
}

START_TEST(test_bzimage_crafted_valid_parses)
{
	struct boot_image bi = { img, sizeof(img) };
	struct bzimage_info info;

	craft();
	ck_assert_int_eq(bzimage_parse(&bi, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.setup_size, 1024);
	ck_assert_uint_eq(info.kernel_size, IMG_SIZE - 1024);
	ck_assert_uint_eq(info.kernel_end, 0x100000 + 0x200000);
}
END_TEST

START_TEST(test_bzimage_malformed_rejected_with_reason)
{
	struct setup_header *h = (void *)(img + 0x1f1);

	craft();
	ck_assert_int_eq(parse(100), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated: 100 bytes"));
	craft();
	h->boot_flag = 0x1234;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "0xAA55"));
	craft();
	h->header = 0x12345678;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "HdrS"));
	craft();
	h->version = 0x020b;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "protocol 2.0b is too old"));
	craft();
	h->xloadflags = 0;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no 64-bit entry point"));
	craft();
	h->loadflags = 0;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "zImage"));
	craft();
	h->setup_sects = 200;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "setup code is 102912 bytes"));
	craft();
	h->payload_length = IMG_SIZE;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "compressed payload ends"));
	craft();
	ck_assert_int_eq(parse(0x260), -EINVAL);	/* header promised, file cut inside it */
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
}
END_TEST

START_TEST(test_bzimage_load_does_not_fit_enospc)
{
	struct setup_header *h = (void *)(img + 0x1f1);
	struct boot_args args = { .kernel = { img, sizeof(img) }, .cmdline = "" };
	struct boot_entry entry;
	struct fake_gmem f;

	craft();
	h->init_size = 0x1000000;
	fake_gmem_init(&f, 8 * MiB, 0, 0);
	ck_assert_int_eq(bzimage_load(&f.gm, &args, &entry, err, sizeof(err)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "raise -m"));
	fake_gmem_destroy(&f);
}
END_TEST

START_TEST(test_bzimage_load_cmdline_too_long_e2big)
{
	struct boot_args args = { .kernel = { img, sizeof(img) } };
	char line[300];
	struct boot_entry entry;
	struct fake_gmem f;

	craft();
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	args.cmdline = line;
	fake_gmem_init(&f, 8 * MiB, 0, 0);
	ck_assert_int_eq(bzimage_load(&f.gm, &args, &entry, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "299 bytes; this kernel accepts at most 255"));
	line[255] = 0;
	ck_assert_int_eq(bzimage_load(&f.gm, &args, &entry, err, sizeof(err)), 0);
	fake_gmem_destroy(&f);
}
END_TEST

/* The newest Debian kernel in /boot; the test setup installs linux-image-amd64. */
static struct boot_image map_debian_kernel(void)
{
	glob_t g;
	struct stat st;
	void *p;
	int fd;

	ck_assert_msg(glob("/boot/vmlinuz-*-amd64", 0, NULL, &g) == 0,
		      "no /boot/vmlinuz-*-amd64: install linux-image-amd64 (tests/setup.sh does)");
	fd = open(g.gl_pathv[g.gl_pathc - 1], O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	globfree(&g);
	return (struct boot_image){ p, st.st_size };
}

START_TEST(test_bzimage_debian_kernel_boot_params)
{
	struct boot_image k = map_debian_kernel();
	static const uint8_t rd[4096] = { 1 };
	struct boot_args args = { .kernel = k, .initrd = { rd, sizeof(rd) },
				  .cmdline = "console=ttyS0 nokaslr", .rsdp_addr = 0xe0000,
				  .e820 = E820_FOR(256 * MiB), .nr_e820 = 3 };
	const struct setup_header *src = (const void *)(k.data + 0x1f1);
	struct boot_entry entry;
	struct boot_params *bp;
	struct fake_gmem f;
	size_t setup = (src->setup_sects + 1) * 512ul;

	fake_gmem_init(&f, 256 * MiB, 0, 0);
	ck_assert_int_eq(bzimage_load(&f.gm, &args, &entry, err, sizeof(err)), 0);
	ck_assert_int_eq(entry.mode, BOOT_MODE_LONG);
	ck_assert_uint_eq(entry.rip, 0x100200);
	ck_assert_uint_eq(entry.rsi, BOOT_ZERO_PAGE_ADDR);
	bp = gmem_ptr(&f.gm, GPA(BOOT_ZERO_PAGE_ADDR), sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_ge(bp->hdr.version, 0x020c);
	ck_assert_uint_eq(bp->hdr.version, src->version);
	ck_assert_uint_eq(bp->hdr.init_size, src->init_size);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	ck_assert_str_eq((char *)gmem_ptr(&f.gm, GPA(BOOT_CMDLINE_ADDR), 22), "console=ttyS0 nokaslr");
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 4096);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 256 * MiB - 4096);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xe0000);
	ck_assert_uint_eq(bp->e820_entries, 3);
	ck_assert_uint_eq(bp->e820_table[1].addr, 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[1].type, E820_RESERVED);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, 255 * MiB);
	ck_assert_uint_eq(bp->e820_table[2].type, E820_RAM);
	/* The protected-mode kernel, byte for byte, at 1 MiB. */
	ck_assert_mem_eq(gmem_ptr(&f.gm, GPA(0x100000), 4096), k.data + setup, 4096);
	ck_assert_mem_eq(gmem_ptr(&f.gm, GPA(0x100000 + k.size - setup - 16), 16),
			 k.data + k.size - 16, 16);
	fake_gmem_destroy(&f);
	munmap((void *)k.data, k.size);
}
END_TEST

START_TEST(test_bzimage_debian_kernel_small_ram_enospc)
{
	struct boot_image k = map_debian_kernel();
	struct boot_args args = { .kernel = k, .cmdline = "" };
	struct boot_entry entry;
	struct fake_gmem f;

	/* Debian's kernel unpacks at 16 MiB and needs init_size (~64 MiB) there. */
	fake_gmem_init(&f, 64 * MiB, 0, 0);
	ck_assert_int_eq(bzimage_load(&f.gm, &args, &entry, err, sizeof(err)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "while it unpacks"));
	fake_gmem_destroy(&f);
	munmap((void *)k.data, k.size);
}
END_TEST

Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *crafted = tcase_create("crafted");
	TCase *debian = tcase_create("debian");

	tcase_add_test(crafted, test_bzimage_crafted_valid_parses);
	tcase_add_test(crafted, test_bzimage_malformed_rejected_with_reason);
	tcase_add_test(crafted, test_bzimage_load_does_not_fit_enospc);
	tcase_add_test(crafted, test_bzimage_load_cmdline_too_long_e2big);
	tcase_add_test(debian, test_bzimage_debian_kernel_boot_params);
	tcase_add_test(debian, test_bzimage_debian_kernel_small_ram_enospc);
	suite_add_tcase(s, crafted);
	suite_add_tcase(s, debian);
	return s;
}
