// SPDX-License-Identifier: MIT
// The machine: guest RAM, KVM, buses, devices and vCPUs, from start to an exit status.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/trace.h"
#include "devices/acpipm.h"
#include "devices/dbgexit.h"
#include "devices/i8042.h"
#include "devices/rstctl.h"
#include "devices/serial.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vnet.h"
#include "firmware/acpi.h"
#include "firmware/dump.h"
#include "firmware/e820.h"
#include "firmware/loader.h"
#include "firmware/mdesc.h"
#include "vmm/gdbstub.h"
#include "vmm/machine.h"
#include "vmm/metrics.h"
#include "vmm/vcpu.h"

#define ERRLEN 512

void machine_request_exit(struct machine *m, enum machine_exit reason, int value)
{
	int expected = MACHINE_RUNNING;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&m->exit_reason, &expected, reason))
		return;
	/* Read by the main thread only after it joined every vCPU thread. */
	m->exit_value = value;
	if (write(m->exit_efd, &one, sizeof(one)) < 0)
		log_err("cannot signal the main thread: %s", strerror(errno));
}

/* The small devices' requests (devices/platform.h), as machine exits. */
static void machine_platform_request(void *opaque, enum platform_request req, int value)
{
	static const enum machine_exit exits[] = {
		[PLATFORM_POWEROFF] = MACHINE_EXIT_POWEROFF,
		[PLATFORM_RESET] = MACHINE_EXIT_RESET,
		[PLATFORM_DEBUG_EXIT] = MACHINE_EXIT_DEBUG,
	};

	machine_request_exit(opaque, exits[req], value);
}

bool machine_stopping(const struct machine *m)
{
	return atomic_load(&m->exit_reason) != MACHINE_RUNNING;
}

int machine_exit_status(enum machine_exit reason, int value)
{
	switch (reason) {
	case MACHINE_EXIT_POWEROFF: return MACHINE_STATUS_OK;
	case MACHINE_EXIT_RESET: return MACHINE_STATUS_RESET;
	case MACHINE_EXIT_TRIPLE_FAULT: return MACHINE_STATUS_TRIPLE_FAULT;
	case MACHINE_EXIT_DEBUG:
		if (value == 0)
			return MACHINE_STATUS_OK;
		return MIN(MACHINE_STATUS_DEBUG_BASE + value, MACHINE_STATUS_DEBUG_MAX);
	case MACHINE_EXIT_SIGNAL: return 128 + value;
	case MACHINE_EXIT_STRICT: return MACHINE_STATUS_STRICT;
	default: return MACHINE_STATUS_ERROR;
	}
}

/* A whole file mapped read-only. */
static int machine_map_file(const char *what, const char *path, struct boot_image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0 || fstat(fd, &st) < 0) {
		log_err("cannot open %s '%s': %s", what, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		log_err("%s '%s' is %s", what, path, S_ISREG(st.st_mode) ? "empty" : "not a file");
		goto fail;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		log_err("cannot map %s '%s': %s", what, path, strerror(errno));
		goto fail;
	}
	close(fd);
	*img = (struct boot_image){ .data = p, .size = st.st_size };
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void machine_unmap_file(struct boot_image *img)
{
	if (img->size)
		munmap((void *)img->data, img->size);
	img->size = 0;
}

/* The machine description, and guest RAM laid out as it says. */
static int machine_describe(struct machine *m)
{
	struct mdesc_spec spec = {
		.mem_bytes = m->cfg->mem_bytes,
		.cpus = m->cfg->cpus,
		.cmdline = m->cfg->cmdline,
		.cmdline_devices = m->cfg->cmdline_devices,
		.nr_virtio = (m->cfg->net.enabled ? 1 : 0) + (m->cfg->rng ? 1 : 0),
	};
	struct mdesc_ram ram[MDESC_MAX_RAM];
	struct gmem_region layout[MDESC_MAX_RAM];
	char err[ERRLEN];
	int n, ret;

	if (mdesc_build(&spec, &m->mdesc, err, sizeof(err))) {
		log_err("machine description: %s", err);
		return -1;
	}
	n = mdesc_ram(m->mdesc, ram, MDESC_MAX_RAM);
	for (int i = 0; i < n; i++)
		layout[i] = (struct gmem_region){ .gpa = ram[i].addr, .size = ram[i].size };
	ret = n > 0 ? gmem_init(&m->gmem, layout, n) : -EINVAL;
	if (ret) {
		log_err("cannot allocate %llu bytes of guest RAM: %s",
			(unsigned long long)m->cfg->mem_bytes, strerror(-ret));
		return -1;
	}
	return 0;
}

/* What --dump-dtb, --dump-acpi and --print-cmdline ask for, once the guest's memory is final. */
static int machine_dump(struct machine *m, const struct acpi_table *tables, unsigned int n)
{
	const struct vm_config *cfg = m->cfg;

	if (cfg->print_cmdline)
		printf("%s\n", mdesc_bootargs(m->mdesc));
	fflush(stdout);
	if (cfg->dump_dtb && dump_dtb(cfg->dump_dtb, m->mdesc))
		return -1;
	if (cfg->dump_acpi && dump_acpi(cfg->dump_acpi, &m->gmem, tables, n))
		return -1;
	return 0;
}

static int machine_load(struct machine *m, struct boot_args *args)
{
	struct acpi_table tables[ACPI_MAX_TABLES];
	struct e820_entry e820[E820_MAX];
	char err[ERRLEN];
	int n, nr_tables;

	if (machine_map_file("kernel", m->cfg->kernel, &args->kernel) ||
	    (m->cfg->initrd && machine_map_file("initrd", m->cfg->initrd, &args->initrd)))
		return -1;
	if (machine_describe(m))
		return -1;
	n = e820_build(m->mdesc, e820, E820_MAX);
	if (n < 0) {
		log_err("cannot derive the e820 map from the machine description");
		return -1;
	}
	nr_tables = acpi_build(m->mdesc, &m->gmem, tables, ACPI_MAX_TABLES);
	if (nr_tables < 0) {
		log_err("cannot build the ACPI tables: %s", strerror(-nr_tables));
		return -1;
	}
	args->e820 = e820;
	args->nr_e820 = n;
	args->cmdline = mdesc_bootargs(m->mdesc);
	args->rsdp_addr = tables[0].gpa;
	if (boot_load(&m->gmem, args, &m->entry, err, sizeof(err))) {
		log_err("%s: %s", m->cfg->kernel, err);
		return -1;
	}
	args->e820 = NULL;
	return machine_dump(m, tables, nr_tables);
}

static int machine_open_serial(struct machine *m, uint32_t gsi)
{
	const struct vm_config *cfg = m->cfg;

	m->serial_out_fd = -1;
	if (cfg->serial == SERIAL_STDIO) {
		m->serial_out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	} else if (cfg->serial == SERIAL_FILE) {
		m->serial_out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					0644);
		if (m->serial_out_fd < 0) {
			log_err("cannot open serial output file '%s': %s", cfg->serial_path,
				strerror(errno));
			return -1;
		}
	}
	m->serial_irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->serial_irq_fd < 0 || kvm_irqfd(&m->kvm, m->serial_irq_fd, gsi)) {
		log_err("cannot wire the serial interrupt through irqfd: %s", strerror(errno));
		return -1;
	}
	m->serial = malloc(sizeof(*m->serial));
	if (!m->serial)
		return -1;
	serial_init(m->serial, m->serial_out_fd, m->serial_irq_fd);
	return 0;
}

static int machine_irqfd(struct machine *m, uint32_t gsi, int *fd)
{
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0 || kvm_irqfd(&m->kvm, *fd, gsi)) {
		log_err("cannot wire GSI %u through irqfd: %s", gsi, strerror(errno));
		return -1;
	}
	return 0;
}

static int machine_rng(struct machine *m, const struct mdesc_virtio *slot)
{
	int ret;

	if (machine_irqfd(m, slot->gsi, &m->rng_irq_fd))
		return -1;
	m->rng = malloc(sizeof(*m->rng));
	if (!m->rng)
		return -ENOMEM;
	ret = vrng_init(m->rng, &m->gmem, slot->addr, slot->gsi, m->kvm.vm_fd, m->rng_irq_fd);
	if (ret) {
		free(m->rng);
		m->rng = NULL;
		log_err("cannot create the virtio-rng device: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int machine_net(struct machine *m, const struct mdesc_virtio *slot)
{
	char err[ERRLEN];
	int ret;

	if (machine_irqfd(m, slot->gsi, &m->net_irq_fd))
		return -1;
	m->net = malloc(sizeof(*m->net));
	if (!m->net)
		return -ENOMEM;
	ret = vnet_init(m->net, &m->cfg->net, &m->gmem, slot->addr, slot->gsi, m->kvm.vm_fd,
			m->net_irq_fd, err, sizeof(err));
	if (ret) {
		free(m->net);
		m->net = NULL;
		log_err("--net: %s", err);
		return ret;
	}
	return 0;
}

static int machine_window(struct machine *m, const struct bus_dev *window)
{
	int ret = bus_register(&m->mmio, window);

	if (ret)
		log_err("cannot place a virtio-mmio window on the bus: %s", strerror(-ret));
	return ret;
}

/* Virtio devices, in the windows and on the GSIs the machine description gave them, in order. */
static int machine_virtio(struct machine *m)
{
	struct mdesc_virtio slots[MDESC_MAX_VIRTIO];
	int n = mdesc_virtio(m->mdesc, slots, MDESC_MAX_VIRTIO), next = 0, ret = 0;
	struct bus_dev window;

	if (n < (m->cfg->net.enabled ? 1 : 0) + (m->cfg->rng ? 1 : 0)) {
		log_err("the machine description has %d virtio-mmio windows, too few for the devices", n);
		return -EINVAL;
	}
	if (m->cfg->net.enabled) {
		ret = machine_net(m, &slots[next++]);
		if (!ret) {
			window = vmmio_bus_dev(&m->net->t);
			ret = machine_window(m, &window);
		}
	}
	if (!ret && m->cfg->rng) {
		ret = machine_rng(m, &slots[next++]);
		if (!ret) {
			window = vmmio_bus_dev(&m->rng->t);
			ret = machine_window(m, &window);
		}
	}
	return ret;
}

static int machine_devices(struct machine *m)
{
	struct bus_dev com1;
	uint32_t com1_port, com1_gsi, pm_port;
	int ret;

	m->pio.name = "pio";
	m->pio.unclaimed_byte = 0xff;	/* an open ISA bus reads as all ones */
	m->mmio.name = "mmio";
	m->mmio.unclaimed_byte = 0xff;
	/* Ports and GSIs as the machine description placed them. */
	if (mdesc_isa_device(m->mdesc, "ns16550a", &com1_port, &com1_gsi) ||
	    mdesc_isa_device(m->mdesc, "minnow,acpi-pm", &pm_port, NULL)) {
		log_err("the machine description lacks the serial port or the ACPI PM port");
		return -1;
	}
	if (machine_open_serial(m, com1_gsi))
		return -1;
	com1 = serial_bus_dev(m->serial, com1_port);
	ret = bus_register(&m->pio, &com1);
	if (!ret)
		ret = acpipm_register(&m->pio, pm_port, &m->platform);
	if (!ret)
		ret = i8042_register(&m->pio, &m->platform);
	if (!ret)
		ret = rstctl_register(&m->rstctl, &m->pio, &m->platform);
	if (!ret)
		ret = dbgexit_register(&m->pio, &m->platform);
	if (ret) {
		log_err("cannot register the legacy devices: %s", strerror(-ret));
		return ret;
	}
	return machine_virtio(m);	/* it says what went wrong itself */
}

static int machine_build(struct machine *m, struct boot_args *args)
{
	char err[ERRLEN];

	if (machine_load(m, args))
		return -1;
	if (m->cfg->dry_run)
		return 0;
	if (kvm_init(&m->kvm, &m->gmem, err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	if (machine_devices(m))
		return -1;
	m->vcpus = calloc(m->cfg->cpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return -1;
	for (unsigned int i = 0; i < m->cfg->cpus; i++)
		m->vcpus[i].fd = -1;
	m->nr_vcpus = m->cfg->cpus;
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		if (vcpu_create(&m->vcpus[i], m, i, err, sizeof(err))) {
			log_err("%s", err);
			return -1;
		}
	}
	return 0;
}

/* Host input for the guest's UART; returns false once stdin is closed. */
static bool machine_feed_stdin(struct machine *m)
{
	uint8_t buf[SERIAL_RX_FIFO];
	size_t space = serial_rx_space(m->serial);
	ssize_t n = read(STDIN_FILENO, buf, MIN(space, sizeof(buf)));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	serial_rx_push(m->serial, buf, n);
	return true;
}

static void machine_wait(struct machine *m, int sigfd)
{
	bool stdin_open = m->cfg->serial == SERIAL_STDIO;

	while (!machine_stopping(m)) {
		struct pollfd p[3] = { { .fd = m->exit_efd, .events = POLLIN },
				       { .fd = sigfd, .events = POLLIN } };
		int n = 2, timeout = -1;

		if (stdin_open && serial_rx_space(m->serial))
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		else if (stdin_open)
			timeout = 10;	/* the guest has not drained its FIFO yet */
		if (poll(p, n, timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			machine_request_exit(m, MACHINE_EXIT_ERROR, 0);
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) != sizeof(si)) {
				/* nothing */
			} else if (si.ssi_signo == SIGUSR1) {
				if (m->cfg->metrics && metrics_write(m, m->cfg->metrics))
					log_warn("SIGUSR1: metrics not written");
			} else {
				log_info("signal %u: stopping the guest", si.ssi_signo);
				machine_request_exit(m, MACHINE_EXIT_SIGNAL, si.ssi_signo);
			}
		}
		if (n == 3 && p[2].revents)
			stdin_open = machine_feed_stdin(m);
	}
}

/* With a terminal on stdin, keys go to the guest as typed; Ctrl-C still stops minnow. */
static bool machine_raw_terminal(const struct vm_config *cfg, struct termios *saved)
{
	struct termios t;

	if (cfg->serial != SERIAL_STDIO || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved))
		return false;
	t = *saved;
	t.c_lflag &= ~(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void machine_teardown(struct machine *m, struct boot_args *args)
{
	/* Parked vCPUs must be let go before they can be joined. */
	if (m->gdb)
		gdbstub_release(m->gdb);
	for (unsigned int i = 0; i < m->nr_vcpus; i++)
		vcpu_kick(&m->vcpus[i]);
	for (unsigned int i = 0; i < m->nr_vcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	free(m->vcpus);
	if (m->gdb)
		gdbstub_destroy(m->gdb, machine_exit_status(m->exit_reason, m->exit_value));
	/* Quiesce the devices so their counters hold still, then report them. */
	if (m->rng)
		vrng_stop(m->rng);
	if (m->net)
		vnet_stop(m->net);
	if (m->cfg->metrics && !m->cfg->dry_run && metrics_write(m, m->cfg->metrics))
		atomic_store(&m->exit_reason, MACHINE_EXIT_ERROR);
	if (m->rng) {
		vrng_destroy(m->rng);
		free(m->rng);
	}
	if (m->rng_irq_fd >= 0)
		close(m->rng_irq_fd);
	if (m->net) {
		vnet_destroy(m->net);
		free(m->net);
	}
	if (m->net_irq_fd >= 0)
		close(m->net_irq_fd);
	if (m->serial) {
		serial_destroy(m->serial);
		free(m->serial);
	}
	if (m->serial_irq_fd >= 0)
		close(m->serial_irq_fd);
	if (m->serial_out_fd >= 0)
		close(m->serial_out_fd);
	kvm_destroy(&m->kvm);
	gmem_destroy(&m->gmem);
	free(m->mdesc);
	machine_unmap_file(&args->kernel);
	machine_unmap_file(&args->initrd);
	if (m->exit_efd >= 0)
		close(m->exit_efd);
}

static const char *const machine_exit_names[] = {
	[MACHINE_RUNNING] = "running", [MACHINE_EXIT_POWEROFF] = "power-off",
	[MACHINE_EXIT_RESET] = "reset", [MACHINE_EXIT_TRIPLE_FAULT] = "triple fault",
	[MACHINE_EXIT_DEBUG] = "debug exit", [MACHINE_EXIT_ERROR] = "error",
	[MACHINE_EXIT_SIGNAL] = "signal", [MACHINE_EXIT_STRICT] = "virtio spec violation",
};

/* --virtio-strict=abort (vdev.c, any thread): the main thread tears down as for any exit. */
static void machine_strict_stop(void *opaque)
{
	machine_request_exit(opaque, MACHINE_EXIT_STRICT, 0);
}

int machine_run(const struct vm_config *cfg)
{
	struct machine m = { .cfg = cfg, .serial_irq_fd = -1, .serial_out_fd = -1, .rng_irq_fd = -1, .net_irq_fd = -1,
			     .kvm = { .sys_fd = -1, .vm_fd = -1 } };
	struct boot_args args = { 0 };
	struct termios saved;
	bool raw = false;
	sigset_t set;
	int sigfd, status;

	log_threshold = cfg->log_level;
	trace_start(cfg->trace_mask);
	vdev_strict_set(cfg->virtio_strict, machine_strict_stop, &m);
	atomic_init(&m.exit_reason, MACHINE_RUNNING);
	m.platform = (struct platform_sink){ .request = machine_platform_request, .opaque = &m };
	m.gmem.memfd = -1;
	/* Threads inherit this mask: only the main thread takes SIGINT/TERM/HUP, via signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);	/* write --metrics now */
	sigaddset(&set, SIGUSR2);	/* vCPU kicks; vCPU threads unblock it */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR2);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	vcpu_setup_signals();
	m.exit_efd = eventfd(0, EFD_CLOEXEC);
	if (sigfd < 0 || m.exit_efd < 0 || machine_build(&m, &args)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
	if (cfg->dry_run) {
		machine_request_exit(&m, MACHINE_EXIT_POWEROFF, 0);
		goto out;
	}
	if (cfg->gdb && gdbstub_create(&m.gdb, &m, cfg->gdb)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
	raw = machine_raw_terminal(cfg, &saved);
	for (unsigned int i = 0; i < m.nr_vcpus; i++) {
		int ret = vcpu_start(&m.vcpus[i]);

		if (ret) {
			log_err("cannot start vCPU %u: %s", i, strerror(-ret));
			machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
			goto out;
		}
	}
	if (m.gdb && gdbstub_start(m.gdb)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
	machine_wait(&m, sigfd);
out:
	machine_teardown(&m, &args);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (sigfd >= 0)
		close(sigfd);
	status = machine_exit_status(m.exit_reason, m.exit_value);
	log_info("guest ended: %s (value %d), exit status %d", machine_exit_names[m.exit_reason],
		 m.exit_value, status);
	return status;
}
