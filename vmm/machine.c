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
#include "devices/virtio/vnet.h"
#include "devices/virtio/vrng.h"
#include "firmware/acpi.h"
#include "firmware/dump.h"
#include "firmware/e820.h"
#include "firmware/loader.h"
#include "firmware/mdesc.h"
#include "gdb/gdbstub.h"
#include "net/backends.h"
#include "vmm/confine.h"
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

/* A vCPU's stop requests (vmm/vcpu.h), as machine exits. */
static void machine_vcpu_stop(void *opaque, enum vcpu_stop why)
{
	static const enum machine_exit exits[] = {
		[VCPU_STOP_POWEROFF] = MACHINE_EXIT_POWEROFF,
		[VCPU_STOP_RESET] = MACHINE_EXIT_RESET,
		[VCPU_STOP_TRIPLE_FAULT] = MACHINE_EXIT_TRIPLE_FAULT,
		[VCPU_STOP_ERROR] = MACHINE_EXIT_ERROR,
	};

	machine_request_exit(opaque, exits[why], 0);
}

static bool machine_vcpu_stopping(void *opaque)
{
	return machine_stopping(opaque);
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

/* Each exit reason as the log says it, and as --metrics names it. */
static const struct {
	const char *text;
	const char *key;
} machine_exit_names[] = {
	[MACHINE_RUNNING] = { "running", "running" },
	[MACHINE_EXIT_POWEROFF] = { "power-off", "poweroff" },
	[MACHINE_EXIT_RESET] = { "reset", "reset" },
	[MACHINE_EXIT_TRIPLE_FAULT] = { "triple fault", "triple_fault" },
	[MACHINE_EXIT_DEBUG] = { "debug exit", "debug_exit" },
	[MACHINE_EXIT_ERROR] = { "error", "error" },
	[MACHINE_EXIT_SIGNAL] = { "signal", "signal" },
	[MACHINE_EXIT_STRICT] = { "virtio spec violation", "virtio_strict" },
};

/* --metrics: the exit so far (or "running") and the devices' counters. */
static int machine_metrics(struct machine *m)
{
	int reason = atomic_load(&m->exit_reason);
	struct metrics_report r = {
		.exit_reason = machine_exit_names[reason].key,
		.exit_value = m->exit_value,
		.exit_status = machine_exit_status(reason, m->exit_value),
		.serial_tx_bytes = m->serial ? m->serial->tx_bytes : 0,
		.net = m->net,
		.rng = m->rng,
	};

	return metrics_write(m->cfg->metrics, &r);
}

/* A whole file mapped read-only; 0 or -errno after logging. */
static int machine_map_file(const char *what, const char *path, struct boot_image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	void *p;

	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		log_err("cannot open %s '%s': %s", what, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		ret = -EINVAL;
		log_err("%s '%s' is %s", what, path, S_ISREG(st.st_mode) ? "empty" : "not a file");
		goto fail;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		log_err("cannot map %s '%s': %s", what, path, strerror(errno));
		goto fail;
	}
	close(fd);
	*img = (struct boot_image){ .data = p, .size = st.st_size };
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return ret;
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

	ret = mdesc_build(&spec, &m->mdesc, err, sizeof(err));
	if (ret) {
		log_err("machine description: %s", err);
		return ret;
	}
	n = mdesc_ram(m->mdesc, ram, MDESC_MAX_RAM);
	for (int i = 0; i < n; i++)
		layout[i] = (struct gmem_region){ .gpa = ram[i].addr, .size = ram[i].size };
	ret = n > 0 ? gmem_init(&m->gmem, layout, n) : -EINVAL;
	if (ret) {
		log_err("cannot allocate %llu bytes of guest RAM: %s",
			(unsigned long long)m->cfg->mem_bytes, strerror(-ret));
		return ret;
	}
	return 0;
}

/* What --dump-dtb, --dump-acpi and --print-cmdline ask for, once the guest's memory is final. */
static int machine_dump(struct machine *m, const struct acpi_table *tables, unsigned int n)
{
	const struct vm_config *cfg = m->cfg;
	int ret = 0;

	if (cfg->print_cmdline)
		printf("%s\n", mdesc_bootargs(m->mdesc));
	fflush(stdout);
	if (cfg->dump_dtb)
		ret = dump_dtb(cfg->dump_dtb, m->mdesc);
	if (!ret && cfg->dump_acpi)
		ret = dump_acpi(cfg->dump_acpi, &m->gmem, tables, n);
	return ret;
}

static int machine_load(struct machine *m, struct boot_args *args)
{
	struct acpi_table tables[ACPI_MAX_TABLES];
	struct e820_entry e820[E820_MAX];
	char err[ERRLEN];
	int n, nr_tables, ret;

	ret = machine_map_file("kernel", m->cfg->kernel, &args->kernel);
	if (!ret && m->cfg->initrd)
		ret = machine_map_file("initrd", m->cfg->initrd, &args->initrd);
	if (!ret)
		ret = machine_describe(m);
	if (ret)
		return ret;
	n = e820_build(m->mdesc, e820, E820_MAX);
	if (n < 0) {
		log_err("cannot derive the e820 map from the machine description");
		return n;
	}
	nr_tables = acpi_build(m->mdesc, &m->gmem, tables, ACPI_MAX_TABLES);
	if (nr_tables < 0) {
		log_err("cannot build the ACPI tables: %s", strerror(-nr_tables));
		return nr_tables;
	}
	args->e820 = e820;
	args->nr_e820 = n;
	args->cmdline = mdesc_bootargs(m->mdesc);
	args->rsdp_addr = tables[0].gpa;
	ret = boot_load(&m->gmem, args, &m->entry, err, sizeof(err));
	if (ret) {
		log_err("%s: %s", m->cfg->kernel, err);
		return ret;
	}
	args->e820 = NULL;
	return machine_dump(m, tables, nr_tables);
}

static int machine_open_serial(struct machine *m, uint32_t gsi)
{
	const struct vm_config *cfg = m->cfg;
	int ret;

	m->serial_out_fd = -1;
	if (cfg->serial == SERIAL_STDIO) {
		m->serial_out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	} else if (cfg->serial == SERIAL_FILE) {
		m->serial_out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					0644);
		if (m->serial_out_fd < 0) {
			ret = -errno;
			log_err("cannot open serial output file '%s': %s", cfg->serial_path,
				strerror(-ret));
			return ret;
		}
	}
	m->serial_irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = m->serial_irq_fd < 0 ? -errno : kvm_irqfd(&m->kvm, m->serial_irq_fd, gsi);
	if (ret) {
		log_err("cannot wire the serial interrupt through irqfd: %s", strerror(-ret));
		return ret;
	}
	m->serial = malloc(sizeof(*m->serial));
	if (!m->serial)
		return -ENOMEM;
	serial_init(m->serial, m->serial_out_fd, m->serial_irq_fd);
	return 0;
}

static int machine_irqfd(struct machine *m, uint32_t gsi, int *fd)
{
	int ret;

	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = *fd < 0 ? -errno : kvm_irqfd(&m->kvm, *fd, gsi);
	if (ret)
		log_err("cannot wire GSI %u through irqfd: %s", gsi, strerror(-ret));
	return ret;
}

static int machine_rng(struct machine *m, const struct mdesc_virtio *slot)
{
	int ret = machine_irqfd(m, slot->gsi, &m->rng_irq_fd);

	if (ret)
		return ret;
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
	int ret = machine_irqfd(m, slot->gsi, &m->net_irq_fd);

	if (ret)
		return ret;
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
	ret = mdesc_isa_device(m->mdesc, "ns16550a", &com1_port, &com1_gsi);
	if (!ret)
		ret = mdesc_isa_device(m->mdesc, "minnow,acpi-pm", &pm_port, NULL);
	if (ret) {
		log_err("the machine description lacks the serial port or the ACPI PM port");
		return ret;
	}
	ret = machine_open_serial(m, com1_gsi);
	if (ret)
		return ret;
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
	int ret = machine_load(m, args);

	if (ret || m->cfg->dry_run)
		return ret;
	ret = kvm_init(&m->kvm, &m->gmem, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	ret = machine_devices(m);
	if (ret)
		return ret;
	m->vcpus = calloc(m->cfg->cpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->cfg->cpus; i++)
		m->vcpus[i].fd = -1;
	m->nr_vcpus = m->cfg->cpus;
	m->vcpu_host = (struct vcpu_host){
		.kvm = &m->kvm, .pio = &m->pio, .mmio = &m->mmio, .entry = &m->entry,
		.nr_vcpus = m->nr_vcpus, .cpuid_hide = m->cfg->cpuid_hide, .opaque = m,
		.stop = machine_vcpu_stop, .stopping = machine_vcpu_stopping,
	};
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		ret = vcpu_create(&m->vcpus[i], &m->vcpu_host, i, err, sizeof(err));
		if (ret) {
			log_err("%s", err);
			return ret;
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
				if (m->cfg->metrics && machine_metrics(m))
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
	/* The guest's exit status wins: metrics that cannot be written are only reported. */
	if (m->cfg->metrics && !m->cfg->dry_run && machine_metrics(m))
		log_err("--metrics '%s' not written; the exit status is still the guest's (%d)",
			m->cfg->metrics, machine_exit_status(m->exit_reason, m->exit_value));
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

static void machine_gdb_kick(void *opaque, unsigned int vcpu)
{
	struct machine *m = opaque;

	vcpu_kick(&m->vcpus[vcpu]);
}

/* gdb's kill: the guest ends as if minnow had been sent SIGKILL. */
static void machine_gdb_kill(void *opaque)
{
	machine_request_exit(opaque, MACHINE_EXIT_SIGNAL, SIGKILL);
}

/* --gdb: the stub gets the vCPUs' fds and guest RAM; the vCPUs then pass its gate. */
static int machine_gdb(struct machine *m)
{
	int fds[CONFIG_MAX_CPUS];
	struct gdbtarget t = {
		.nr_vcpus = m->nr_vcpus, .vcpu_fds = fds, .gmem = &m->gmem, .pvm = kvm_is_pvm(),
		.opaque = m, .kick = machine_gdb_kick, .kill = machine_gdb_kill,
	};
	int ret;

	for (unsigned int i = 0; i < m->nr_vcpus; i++)
		fds[i] = m->vcpus[i].fd;
	ret = gdbstub_create(&m->gdb, &t, m->cfg->gdb);
	if (!ret)
		m->vcpu_host.gdb = m->gdb;
	return ret;
}

/* --virtio-strict=abort (vdev.c, any thread): the main thread tears down as for any exit. */
static void machine_strict_stop(void *opaque)
{
	machine_request_exit(opaque, MACHINE_EXIT_STRICT, 0);
}

/*
 * What can be found wrong before anything is built or run: the folder of
 * each output path must be writable (--metrics is written only at the end,
 * where a failure would come too late), and with --dry-run the taps passed
 * by fd must be taps. 0, or -EINVAL (logged, naming the user's value).
 */
static int machine_check(const struct vm_config *cfg)
{
	const char *outs[][2] = { { "--metrics", cfg->metrics },
				  { "--serial file=", cfg->serial == SERIAL_FILE ? cfg->serial_path : NULL },
				  { "--net pcap=", cfg->net.enabled ? cfg->net.pcap : NULL } };
	char dir[4096], err[256];

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (!outs[i][1])
			continue;
		confine_dir_of(outs[i][1], dir, sizeof(dir));
		if (access(dir, W_OK | X_OK)) {
			log_err("%s'%s': cannot write in folder '%s': %s", outs[i][0], outs[i][1], dir,
				strerror(errno));
			return -EINVAL;
		}
	}
	if (cfg->dry_run && cfg->net.enabled && backends_check(&cfg->net, err, sizeof(err))) {
		log_err("--net: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* Every role's filter, ready before the first thread that enters one (pcap's, at build). */
static int machine_sandbox_init(const struct vm_config *cfg)
{
	char err[160];
	int ret = sandbox_init(cfg->dry_run ? SANDBOX_OFF : cfg->seccomp, err, sizeof(err));

	if (ret)
		log_err("seccomp: %s", err);
	return ret;
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
	if (sigfd < 0 || m.exit_efd < 0 || machine_check(cfg) || machine_sandbox_init(cfg) ||
	    machine_build(&m, &args)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
	if (cfg->dry_run) {
		machine_request_exit(&m, MACHINE_EXIT_POWEROFF, 0);
		goto out;
	}
	if (cfg->gdb && machine_gdb(&m)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
	raw = machine_raw_terminal(cfg, &saved);
	if (confine_enter(cfg)) {
		machine_request_exit(&m, MACHINE_EXIT_ERROR, 0);
		goto out;
	}
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
	if (cfg->dry_run && m.exit_reason == MACHINE_EXIT_POWEROFF)
		log_info("dry run: the machine was built and the kernel loaded; no guest ran");
	else
		log_info("guest ended: %s (value %d), exit status %d",
			 machine_exit_names[m.exit_reason].text, m.exit_value, status);
	return status;
}
