// SPDX-License-Identifier: MIT
// Unit tests for firmware/pvh: ELF parsing, the PVH note, segments and hvm_start_info.
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "firmware/e820.h"
#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

#define E820_FOR(ram) \
	(const struct e820_entry[]){ { 0, 0x9fc00, E820_RAM }, { 0x9fc00, 0x60400, E820_RESERVED }, \
				     { 0x100000, (ram) - 0x100000, E820_RAM } }
#include "firmware/pvh.h"

/* ELF header, two program headers, a Xen note, then 32 bytes of code. */
struct crafted_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	Elf64_Nhdr nh;
	char name[4];
	uint64_t desc;
	uint8_t code[32];
};

static struct crafted_elf elf;
static char err[512];
static struct fake_gmem f;

static void craft(void)
{
	memset(&elf, 0, sizeof(elf));
	memcpy(elf.eh.e_ident, ELFMAG, SELFMAG);
	elf.eh.e_ident[EI_CLASS] = ELFCLASS64;
	elf.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	elf.eh.e_type = ET_EXEC;
	elf.eh.e_machine = EM_X86_64;
	elf.eh.e_phoff = offsetof(struct crafted_elf, ph);
	elf.eh.e_phentsize = sizeof(Elf64_Phdr);
	elf.eh.e_phnum = 2;
	elf.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct crafted_elf, code),
				  .p_paddr = 0x200000, .p_filesz = 32, .p_memsz = 4096 };
	elf.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct crafted_elf, nh),
				  .p_filesz = sizeof(Elf64_Nhdr) + 4 + 8 };
	elf.nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 8, .n_type = PVH_NOTE_PHYS32_ENTRY };
	memcpy(elf.name, "Xen", 4);
	elf.desc = 0x200010;
	memset(elf.code, 0xcc, sizeof(elf.code));
}

static void setup(void)
{
	craft();
	fake_gmem_init(&f, 16 * MiB, 0, 0);
}

static void teardown(void)
{
	fake_gmem_destroy(&f);
}

static int load(struct boot_entry *e, const char *cmdline, const struct boot_image *initrd)
{
	struct boot_args args = { .kernel = { (const uint8_t *)&elf, sizeof(elf) },
				  .cmdline = cmdline, .rsdp_addr = 0xe0000,
				  .e820 = E820_FOR(16 * MiB), .nr_e820 = 3 };

	if (initrd)
		args.initrd = *initrd;
	err[0] = 0;
	return pvh_load(&f.gm, &args, e, err, sizeof(err));
}

START_TEST(test_pvh_load_segments_and_start_info)
{
	static const uint8_t rd[6000] = { 0x77 };
	struct boot_image initrd = { rd, sizeof(rd) };
	struct pvh_start_info si;
	struct pvh_memmap_entry mm[3];
	struct pvh_module mod;
	struct boot_entry e;
	const uint8_t *seg;

	ck_assert_int_eq(load(&e, "probe.mode=hello", &initrd), 0);
	ck_assert_int_eq(e.mode, BOOT_MODE_PVH);
	ck_assert_uint_eq(e.rip, 0x200010);
	ck_assert_uint_eq(e.rbx, BOOT_PVH_INFO_ADDR);
	seg = gmem_ptr(&f.gm, GPA(0x200000), 4096);
	ck_assert_uint_eq(seg[0], 0xcc);
	ck_assert_uint_eq(seg[31], 0xcc);
	ck_assert_uint_eq(seg[32], 0);		/* p_memsz beyond p_filesz is zeroed */
	ck_assert_int_eq(gmem_read(&f.gm, &si, GPA(BOOT_PVH_INFO_ADDR), sizeof(si)), 0);
	ck_assert_uint_eq(si.magic, PVH_START_MAGIC);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.cmdline_paddr, BOOT_CMDLINE_ADDR);
	ck_assert_str_eq((char *)gmem_ptr(&f.gm, GPA(si.cmdline_paddr), 17), "probe.mode=hello");
	ck_assert_uint_eq(si.rsdp_paddr, 0xe0000);
	ck_assert_uint_eq(si.memmap_entries, 3);
	ck_assert_int_eq(gmem_read(&f.gm, mm, GPA(si.memmap_paddr), sizeof(mm)), 0);
	ck_assert_uint_eq(mm[0].addr, 0);
	ck_assert_uint_eq(mm[0].size, 0x9fc00);
	ck_assert_uint_eq(mm[1].type, E820_RESERVED);
	ck_assert_uint_eq(mm[2].addr, 0x100000);
	ck_assert_uint_eq(mm[2].size, 15 * MiB);
	ck_assert_uint_eq(mm[2].type, E820_RAM);
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_int_eq(gmem_read(&f.gm, &mod, GPA(si.modlist_paddr), sizeof(mod)), 0);
	ck_assert_uint_eq(mod.paddr, (16 * MiB - 6000) & ~4095ULL);
	ck_assert_uint_eq(mod.size, 6000);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&f.gm, GPA(mod.paddr), 1), 0x77);
}
END_TEST

START_TEST(test_pvh_no_initrd_no_modules)
{
	struct pvh_start_info si;
	struct boot_entry e;

	ck_assert_int_eq(load(&e, "", NULL), 0);
	ck_assert_int_eq(gmem_read(&f.gm, &si, GPA(BOOT_PVH_INFO_ADDR), sizeof(si)), 0);
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
}
END_TEST

START_TEST(test_pvh_four_byte_desc_accepted)
{
	struct boot_entry e;

	elf.nh.n_descsz = 4;
	ck_assert_int_eq(load(&e, "", NULL), 0);
	ck_assert_uint_eq(e.rip, 0x200010);
}
END_TEST

START_TEST(test_pvh_no_note_rejected)
{
	struct boot_entry e;

	elf.nh.n_type = 17;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no PVH entry note"));
	craft();
	elf.eh.e_phnum = 1;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no PVH entry note"));
}
END_TEST

START_TEST(test_pvh_malformed_headers_rejected)
{
	struct boot_entry e;

	elf.eh.e_ident[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not little-endian x86-64 ELF64"));
	craft();
	elf.eh.e_phoff = sizeof(elf) - 8;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "bad program header table"));
	craft();
	elf.eh.e_phnum = 0xffff;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	craft();
	elf.nh.n_namesz = 0xfffffff0;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "malformed note"));
	craft();
	elf.ph[1].p_offset = UINT64_MAX - 4;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "note segment 1"));
}
END_TEST

START_TEST(test_pvh_bad_segments_rejected)
{
	struct boot_entry e;

	elf.ph[0].p_filesz = 1 << 20;	/* past the end of the file */
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "segment 0"));
	craft();
	elf.ph[0].p_filesz = 8192;	/* more file than memory */
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	craft();
	elf.ph[0].p_paddr = 0x7000;	/* over the zero page */
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "below 1 MiB"));
	craft();
	elf.ph[0].p_paddr = 16 * MiB - 2048;	/* runs off the end of RAM */
	ck_assert_int_eq(load(&e, "", NULL), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "outside guest RAM"));
	craft();
	elf.ph[0].p_paddr = UINT64_MAX - 100;	/* wraps */
	ck_assert_int_eq(load(&e, "", NULL), -ENOSPC);
}
END_TEST

START_TEST(test_pvh_entry_outside_segments_rejected)
{
	struct boot_entry e;

	elf.desc = 0x300000;
	ck_assert_int_eq(load(&e, "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "entry 0x300000 is outside"));
}
END_TEST

START_TEST(test_pvh_cmdline_too_long_e2big)
{
	static char line[2049];
	struct boot_entry e;

	memset(line, 'y', 2048);
	ck_assert_int_eq(load(&e, line, NULL), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "at most 2047"));
}
END_TEST

Suite *pvh_suite(void)
{
	Suite *s = suite_create("pvh");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pvh_load_segments_and_start_info);
	tcase_add_test(tc, test_pvh_no_initrd_no_modules);
	tcase_add_test(tc, test_pvh_four_byte_desc_accepted);
	tcase_add_test(tc, test_pvh_no_note_rejected);
	tcase_add_test(tc, test_pvh_malformed_headers_rejected);
	tcase_add_test(tc, test_pvh_bad_segments_rejected);
	tcase_add_test(tc, test_pvh_entry_outside_segments_rejected);
	tcase_add_test(tc, test_pvh_cmdline_too_long_e2big);
	suite_add_tcase(s, tc);
	return s;
}
