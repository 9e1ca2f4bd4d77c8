// SPDX-License-Identifier: MIT
// The KVM system and VM file descriptors: capability checks, VM creation, irqfd and ioeventfd.
#ifndef MINNOW_KVM_H
#define MINNOW_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "base/gmem.h"

/* Set up once on the main thread; read-only while vCPUs run. */
struct kvm {
	int sys_fd;
	int vm_fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, unmodified */
};

/* The raw ioctl: 0 (or the ioctl's non-negative result) or -errno. */
int kvm_ioctl(int fd, unsigned long cmd, unsigned long arg) __must_check;
#define KVM_IOCTL_PTR(fd, cmd, ptr)                                                      \
	__extension__({                                                                             \
		_Static_assert(sizeof(*(ptr)) == _IOC_SIZE(cmd), "argument size of " #cmd); \
		kvm_ioctl((fd), (cmd), (unsigned long)(ptr));                            \
	})

/*
 * Opens /dev/kvm, checks the API version and every capability minnow needs,
 * creates the VM with its in-kernel irqchip and PIT, and maps gm into it. On
 * error returns -errno with a message in err that says what to do.
 */
int kvm_init(struct kvm *k, const struct gmem *gm, char *err, size_t errlen) __must_check;
void kvm_destroy(struct kvm *k);

/* Edge-triggered interrupt on gsi whenever efd is written. */
int kvm_irqfd(struct kvm *k, int efd, unsigned int gsi) __must_check;

/* True when /sys/module/kvm_pvm exists: guest CPL 0 is emulated (DESIGN §1). */
bool kvm_is_pvm(void);

#endif
