// SPDX-License-Identifier: MIT
// Counters with one writing thread that other threads may read at any time (--metrics, SIGUSR1):
// relaxed atomic stores and loads, so a reader never races the writer and the writer pays no
// locked instruction.
#ifndef MINNOW_STAT_H
#define MINNOW_STAT_H

#include <stdint.h>

#define STAT_ADD(c, n)	__atomic_store_n(&(c), __atomic_load_n(&(c), __ATOMIC_RELAXED) + (n), \
					 __ATOMIC_RELAXED)
#define STAT_INC(c)	STAT_ADD(c, 1)
#define STAT_READ(c)	__atomic_load_n(&(c), __ATOMIC_RELAXED)

#endif
