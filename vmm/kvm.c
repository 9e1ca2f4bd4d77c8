// SPDX-License-Identifier: MIT
// The KVM system and VM file descriptors: capability checks, VM creation, irqfd and ioeventfd.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "firmware/boot.h"
#include "vmm/kvm.h"

/* The TSS KVM needs on Intel, in the MMIO hole below the IOAPIC (3 pages). */
#define KVM_TSS_ADDR 0xfffbd000UL

int kvm_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_PIT2, "PIT2" },
	{ KVM_CAP_IRQFD, "IRQFD" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
};

static int kvm_open_sys(struct kvm *k, char *err, size_t errlen)
{
	int ret;

	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			return log_errbuf(err, errlen, ret, "/dev/kvm does not exist: this host has no "
					"KVM (load kvm_intel or kvm_amd, or use a host with "
					"hardware virtualization)");
		if (ret == -EACCES || ret == -EPERM)
			return log_errbuf(err, errlen, ret, "no permission to open /dev/kvm: add your "
					"user to the 'kvm' group or run as root");
		return log_errbuf(err, errlen, ret, "cannot open /dev/kvm: %s", strerror(-ret));
	}
	ret = kvm_ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		return log_errbuf(err, errlen, -ENOTSUP, "/dev/kvm has API version %d; minnow needs %d",
				ret, KVM_API_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(kvm_required_caps); i++)
		if (kvm_ioctl(k->sys_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0)
			return log_errbuf(err, errlen, -ENOTSUP, "KVM lacks KVM_CAP_%s, which minnow "
					"needs", kvm_required_caps[i].name);
	ret = kvm_ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0)
		return log_errbuf(err, errlen, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE failed");
	k->run_size = ret;
	return 0;
}

static int kvm_get_cpuid(struct kvm *k)
{
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		int ret;

		if (!c)
			return -ENOMEM;
		c->nent = n;
		ret = kvm_ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)c);
		if (ret == 0) {
			k->cpuid = c;
			return 0;
		}
		free(c);
		if (ret != -E2BIG)
			return ret;
	}
	return -E2BIG;
}

static int kvm_create(struct kvm *k, const struct gmem *gm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	k->vm_fd = kvm_ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return log_errbuf(err, errlen, k->vm_fd, "KVM_CREATE_VM failed: %s", strerror(-k->vm_fd));
	/* Order: TSS, irqchip, then PIT (the PIT needs the irqchip), all before any vCPU. */
	ret = kvm_ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	if (ret)
		return log_errbuf(err, errlen, ret, "KVM_SET_TSS_ADDR failed: %s", strerror(-ret));
	ret = kvm_ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0);
	if (ret)
		return log_errbuf(err, errlen, ret, "KVM_CREATE_IRQCHIP failed: %s", strerror(-ret));
	ret = KVM_IOCTL_PTR(k->vm_fd, KVM_CREATE_PIT2, &pit);
	if (ret)
		return log_errbuf(err, errlen, ret, "KVM_CREATE_PIT2 failed: %s", strerror(-ret));
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = gm->regions[i].gpa,
			.memory_size = gm->regions[i].size,
			.userspace_addr = (uintptr_t)gm->regions[i].host,
		};

		ret = KVM_IOCTL_PTR(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
		if (ret)
			return log_errbuf(err, errlen, ret, "KVM_SET_USER_MEMORY_REGION for %llu bytes "
					"at 0x%llx failed: %s", (unsigned long long)r.memory_size,
					(unsigned long long)r.guest_phys_addr, strerror(-ret));
	}
	ret = kvm_get_cpuid(k);
	if (ret)
		return log_errbuf(err, errlen, ret, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-ret));
	return 0;
}

int kvm_init(struct kvm *k, const struct gmem *gm, char *err, size_t errlen)
{
	int ret;

	*k = (struct kvm){ .sys_fd = -1, .vm_fd = -1 };
	ret = kvm_open_sys(k, err, errlen);
	if (!ret)
		ret = kvm_create(k, gm, err, errlen);
	if (ret)
		kvm_destroy(k);
	return ret;
}

void kvm_destroy(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k->cpuid);
	*k = (struct kvm){ .sys_fd = -1, .vm_fd = -1 };
}

int kvm_irqfd(struct kvm *k, int efd, unsigned int gsi)
{
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = gsi };

	return KVM_IOCTL_PTR(k->vm_fd, KVM_IRQFD, &irqfd);
}

bool kvm_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}
