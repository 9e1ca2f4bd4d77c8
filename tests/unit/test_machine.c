// SPDX-License-Identifier: MIT
// Unit tests for vmm/machine: exit reasons to process exit statuses.
#include <check.h>
#include <signal.h>

#include "tests/unit/suites.h"
#include "vmm/machine.h"

START_TEST(test_machine_exit_status_mapping)
{
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_POWEROFF, 0), 0);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_DEBUG, 0), 0);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_ERROR, 0), 1);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_RESET, 0), 3);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_TRIPLE_FAULT, 0), 4);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_DEBUG, 1), 33);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_DEBUG, 95), 127);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_DEBUG, 255), 127);
	ck_assert_int_eq(machine_exit_status(MACHINE_EXIT_SIGNAL, SIGTERM), 143);
}
END_TEST

Suite *machine_suite(void)
{
	Suite *s = suite_create("machine");
	TCase *tc = tcase_create("exit");

	tcase_add_test(tc, test_machine_exit_status_mapping);
	suite_add_tcase(s, tc);
	return s;
}
