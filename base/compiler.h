// SPDX-License-Identifier: MIT
// Compiler attributes and small helpers shared by every module.
#ifndef MINNOW_COMPILER_H
#define MINNOW_COMPILER_H

#define __must_check	__attribute__((warn_unused_result))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define __unused	__attribute__((unused))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
/* Each argument is evaluated once (a MIN(x, y++) once cost us a corrupted RX path). */
#define MIN(a, b)	__extension__({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b); \
				a_ < b_ ? a_ : b_; })
#define MAX(a, b)	__extension__({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b); \
				a_ > b_ ? a_ : b_; })

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#endif
