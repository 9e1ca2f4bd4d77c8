// SPDX-License-Identifier: MIT
// The machine: guest RAM, KVM, buses, devices and vCPUs, from start to an exit status.
#ifndef MINNOW_MACHINE_H
#define MINNOW_MACHINE_H

#include <stdatomic.h>

#include "base/bus.h"
#include "base/gmem.h"
#include "devices/platform.h"
#include "devices/rstctl.h"
#include "firmware/boot.h"
#include "vmm/config.h"
#include "vmm/kvm.h"
#include "vmm/vcpu.h"

enum machine_exit {
	MACHINE_RUNNING,
	MACHINE_EXIT_POWEROFF,	  /* ACPI S5 */
	MACHINE_EXIT_RESET,	  /* i8042 0xFE, ACPI reset register */
	MACHINE_EXIT_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	MACHINE_EXIT_DEBUG,	  /* value written to the debug exit port */
	MACHINE_EXIT_ERROR,	  /* the VMM or KVM failed */
	MACHINE_EXIT_SIGNAL,	  /* SIGINT, SIGTERM, SIGHUP: value is the signal */
	MACHINE_EXIT_STRICT,	  /* a driver violated the virtio spec under --virtio-strict=abort */
};

/* Process exit statuses (README, `minnow --help`). */
#define MACHINE_STATUS_OK	    0
#define MACHINE_STATUS_ERROR	    1
#define MACHINE_STATUS_USAGE	    2
#define MACHINE_STATUS_RESET	    3
#define MACHINE_STATUS_TRIPLE_FAULT 4
#define MACHINE_STATUS_STRICT	    5	/* --virtio-strict=abort met a violation */
#define MACHINE_STATUS_DEBUG_BASE   32	/* + V for a debug exit value V in 1..95 */
#define MACHINE_STATUS_DEBUG_MAX    127

struct serial;
struct vrng;
struct vnet;

struct machine {
	const struct vm_config *cfg;
	void *mdesc;		/* the machine description (firmware/mdesc.h) */
	struct gmem gmem;
	struct kvm kvm;
	struct bus pio;
	struct bus mmio;
	struct boot_entry entry;
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	struct serial *serial;
	int serial_irq_fd;
	int serial_out_fd;
	struct vrng *rng;
	int rng_irq_fd;
	struct vnet *net;
	int net_irq_fd;
	struct gdbstub *gdb;	/* --gdb; NULL without */
	struct vcpu_host vcpu_host;	/* what the vCPUs see of this machine */
	struct platform_sink platform;	/* the small devices' requests: machine_platform_request */
	struct rstctl rstctl;
	/* Written once by the first machine_request_exit; then the main thread tears down. */
	_Atomic int exit_reason;
	int exit_value;
	int exit_efd;
};

/* Boots cfg and runs it to the end; returns the process exit status. */
int machine_run(const struct vm_config *cfg);

/*
 * Asks the machine to stop (any thread). The first request wins and decides
 * the exit status; later ones are ignored.
 */
void machine_request_exit(struct machine *m, enum machine_exit reason, int value);
bool machine_stopping(const struct machine *m);

/* The process exit status for an exit reason and value. */
int machine_exit_status(enum machine_exit reason, int value);

#endif
