// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvm-vfio-forward-test: the KVM_DEV_VFIO_DEVICE FORWARD/UNFORWARD API of
 * our reference kernel series, against the real kernel (the rig's L1).
 *
 * Usage: kvm-vfio-forward-test GROUP DEVICE [INDEX]
 *   GROUP   VFIO group number (/dev/vfio/GROUP) of DEVICE
 *   DEVICE  its name: a vfio-platform device (IRQ INDEX, default 0) or a
 *           vfio-pci device (INTx; its MSI index must be refused)
 *
 * Builds a VM with an in-kernel vgic, then walks through every error the
 * design note names, each where it says, and the lifecycle: forward,
 * unforward, forward again, VFIO tearing the IRQ down under a forwarded
 * IRQ, KVM_DEV_VFIO_FILE_DEL; and that userspace cannot lower a forwarded
 * SPI's line (the vgic's state in debugfs tells); that a forwarded IRQ the
 * device raises with no vCPU running is taken by the host once, not again
 * and again (/proc/interrupts tells; with threadirqs, an IRQ masked for its
 * thread would be deactivated and storm); and, last, that with the device
 * fd closed under a forwarded IRQ, unbinding the device from its driver
 * returns at once (it is bound again after).  TAP output; exits non-zero on a
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

#define GSI		5	/* an SPI of the default arm64 routing */
#define GSI_UNROUTED	900	/* beyond the vgic's SPIs: no route */
#define SPI		(32 + GSI)	/* its INTID */

static int tests, failures;
static int kvm_vfio, vfio_dev, group;
static unsigned int irq_index;
static bool pci;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* 0 or the errno of a kvm-vfio device attribute request */
static int dev_attr(unsigned long op, uint64_t group_nr, uint64_t attr,
		    const void *addr)
{
	struct kvm_device_attr a = {
		.group = group_nr, .attr = attr, .addr = (uintptr_t)addr,
	};

	return ioctl(kvm_vfio, op, &a) ? errno : 0;
}

/* fwd_req()'s flags: none are defined, so 0 but where a check sets it */
static uint32_t req_flags;

/* FORWARD/UNFORWARD of @count IRQs from @start; @argsz 0: the exact size */
static int fwd_req(uint64_t attr, int fd, uint32_t index, uint32_t start,
		   uint32_t count, uint32_t argsz, uint32_t gsi)
{
	struct {
		struct kvm_vfio_dev_irq hdr;
		uint32_t gsi[4];
	} req = {
		.hdr = { .flags = req_flags, .fd = fd, .index = index,
			 .start = start, .count = count },
	};

	req.hdr.argsz = argsz ? argsz : sizeof(req.hdr) +
		(count < 4 ? count : 4) * sizeof(uint32_t);
	for (int i = 0; i < 4; i++)
		req.gsi[i] = gsi + i;
	return dev_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE, attr, &req);
}

static int forward(uint32_t gsi)
{
	return fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev, irq_index,
		       0, 1, 0, gsi);
}

static int unforward(void)
{
	return fwd_req(KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ, vfio_dev, irq_index,
		       0, 1, 0, GSI);
}

/* VFIO_DEVICE_SET_IRQS of one eventfd (-1: none) for @action */
static int set_irq_fd(uint32_t index, uint32_t action, int fd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s = {
		.set = { .argsz = sizeof(s), .index = index, .start = 0,
			 .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | action },
		.fd = fd,
	};

	return ioctl(vfio_dev, VFIO_DEVICE_SET_IRQS, &s) ? errno : 0;
}

/* Disable the IRQ's trigger altogether (what a device close does too) */
static int clear_trigger(uint32_t index)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s), .index = index, .count = 0,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	};

	return ioctl(vfio_dev, VFIO_DEVICE_SET_IRQS, &s) ? errno : 0;
}

static int irqfd(int vm, int fd, uint32_t gsi, int resamplefd, bool assign)
{
	struct kvm_irqfd i = { .fd = fd, .gsi = gsi };

	if (!assign)
		i.flags = KVM_IRQFD_FLAG_DEASSIGN;
	else if (resamplefd >= 0) {
		i.flags = KVM_IRQFD_FLAG_RESAMPLE;
		i.resamplefd = resamplefd;
	}
	return ioctl(vm, KVM_IRQFD, &i) ? errno : 0;
}

/*
 * Drive SPI @intid's line from userspace, then read its line level back
 * from the vgic's state in debugfs: 0 or 1; -1 if KVM_IRQ_LINE failed,
 * -2 if the state cannot be read, -3 if it has no such SPI.
 */
static int spi_line(int vm, int intid, int level)
{
	struct kvm_irq_level l = {
		.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | intid,
		.level = level,
	};
	char path[96], line[256], type[8], flags[16];
	int id, got = -3;
	FILE *f;

	if (ioctl(vm, KVM_IRQ_LINE, &l)) {
		printf("# KVM_IRQ_LINE %d level %d: %s\n", intid, level,
		       strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vgic-state",
		 getpid(), vm);
	f = fopen(path, "r");
	if (!f) {
		printf("# %s: %s\n", path, strerror(errno));
		return -2;
	}
	/* "SPI <intid> <vcpu> <pending><line_level><active>..." */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %7s %d %*d %15s", type, &id, flags) == 3 &&
		    !strcmp(type, "SPI") && id == intid && strlen(flags) > 1)
			got = flags[1] == '1';
	fclose(f);
	return got;
}

/* "raise, lower": the line levels read after each */
static bool spi_raise_lower(int vm, int intid, int want_after_lower)
{
	int up = spi_line(vm, intid, 1), down = spi_line(vm, intid, 0);

	printf("# SPI %d: raised: %d, lowered: %d\n", intid, up, down);
	return up == 1 && down == want_after_lower;
}

/* Region 0 (the PL031's registers, edu's BAR 0) and PCI config space */
static int dev_rw(unsigned int region, uint64_t off, uint32_t *val, int len,
		  bool write)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = region };
	ssize_t n;

	if (ioctl(vfio_dev, VFIO_DEVICE_GET_REGION_INFO, &r))
		return -1;
	n = write ? pwrite(vfio_dev, val, len, r.offset + off) :
		    pread(vfio_dev, val, len, r.offset + off);
	return n == len ? 0 : -1;
}

static int dev_write(uint64_t off, uint32_t val)
{
	return dev_rw(0, off, &val, 4, true);
}

#define PL031_MR	0x04
#define PL031_LR	0x08
#define PL031_IMSC	0x10
#define PL031_RIS	0x14
#define PL031_ICR	0x1c
#define EDU_RAISE	0x60
#define EDU_ACK		0x64

/* Make the device raise its interrupt (edu: INTx; the PL031: its alarm) */
static int device_raise(void)
{
	uint32_t cmd = 0, ris = 0;

	if (pci) {
		/* BAR access needs memory decoding; INTx must be enabled */
		if (dev_rw(VFIO_PCI_CONFIG_REGION_INDEX, 4, &cmd, 2, false))
			return -1;
		cmd = (cmd | 0x2) & ~0x400;	/* MEMORY on, INTX_DISABLE off */
		if (dev_rw(VFIO_PCI_CONFIG_REGION_INDEX, 4, &cmd, 2, true))
			return -1;
		return dev_write(EDU_RAISE, 1);
	}
	/*
	 * Loading the match value raises the alarm, unless QEMU's model
	 * crosses a second boundary in between (the rig's edu_irq.c): try
	 * again then.
	 */
	for (int i = 0; i < 3 && !(ris & 1); i++) {
		if (dev_write(PL031_IMSC, 0) || dev_write(PL031_ICR, 1) ||
		    dev_write(PL031_MR, 1000) || dev_write(PL031_IMSC, 1) ||
		    dev_write(PL031_LR, 1000) ||
		    dev_rw(0, PL031_RIS, &ris, 4, false))
			return -1;
	}
	return ris & 1 ? 0 : -1;
}

static int device_lower(void)
{
	return dev_write(pci ? EDU_ACK : PL031_ICR, 1);
}

/* The host IRQs VFIO took: the sum of /proc/interrupts' "vfio" lines */
static long vfio_host_irqs(void)
{
	char line[1024];
	long sum = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;

		if (!p || !strstr(line, "vfio"))
			continue;
		for (p++;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = fd < 0 || write(fd, val, strlen(val)) < 0 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Unbind @dev from its driver in a child: its pid, for unbind_wait().  The
 * write blocks for as long as anything holds the device's registration.
 */
static pid_t unbind_start(const char *dev)
{
	char path[160];
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/bus/%s/devices/%s/driver/unbind",
		 pci ? "pci" : "platform", dev);
	pid = fork();
	if (pid == 0) {
		/*
		 * Nothing of the parent's: its VM and kvm-vfio device must go
		 * when it closes them, and a child blocked for good must not
		 * hold its output open.
		 */
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
			close(1);
			close(2);
		}
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		_exit(sysfs_write(path, dev) ? 1 : 0);
	}
	return pid;
}

/* Did unbind_start()'s child succeed within @ms? */
static bool unbind_wait(pid_t pid, int ms)
{
	struct timespec step = { .tv_nsec = 100 * 1000 * 1000 };
	int status;

	if (pid < 0)
		return false;
	for (int i = 0; i <= ms / 100; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status);
		if (r < 0)	/* reaped already */
			return false;
		if (i < ms / 100)
			nanosleep(&step, NULL);
	}
	return false;
}

/* The VM's other fds: the VM goes only once they are closed too */
static int vm_fds[3];

static void close_vm(int vm)
{
	for (int i = 0; i < 3; i++)
		close(vm_fds[i]);
	close(vm);
}

static int create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR);
	struct kvm_vcpu_init init;
	int vm, vcpu, nr_irqs = 128;
	uint32_t cfg = 0;
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
		.addr = (uintptr_t)&nr_irqs,
	};

	if (kvm < 0)
		bail("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		bail("KVM_CREATE_VM");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		bail("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		bail("KVM_ARM_VCPU_INIT");
	if (ioctl(vm, KVM_CREATE_DEVICE, &gic)) {
		gic.type = KVM_DEV_TYPE_ARM_VGIC_V2;
		if (ioctl(vm, KVM_CREATE_DEVICE, &gic))
			bail("KVM_CREATE_DEVICE vgic");
	}
	if (ioctl(gic.fd, KVM_SET_DEVICE_ATTR, &a))
		bail("vgic NR_IRQS");
	a = (struct kvm_device_attr){ .group = KVM_DEV_ARM_VGIC_GRP_CTRL,
				      .attr = KVM_DEV_ARM_VGIC_CTRL_INIT };
	if (ioctl(gic.fd, KVM_SET_DEVICE_ATTR, &a))
		bail("vgic CTRL_INIT");
	/*
	 * KVM resets SPIs to edge; make INTIDs 32-47 level, as a guest
	 * would for a device's line (GICD_ICFGR2, vCPU 0 for both GICs).
	 */
	a = (struct kvm_device_attr){ .group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				      .attr = 0xc08, .addr = (uintptr_t)&cfg };
	if (ioctl(gic.fd, KVM_SET_DEVICE_ATTR, &a))
		bail("vgic GICD_ICFGR2");
	printf("# VM with a vgic %s, %d IRQs\n",
	       gic.type == KVM_DEV_TYPE_ARM_VGIC_V3 ? "v3" : "v2", nr_irqs);
	vm_fds[0] = kvm;
	vm_fds[1] = vcpu;
	vm_fds[2] = gic.fd;
	return vm;
}

static void open_vfio(const char *grp, const char *dev)
{
	int container = open("/dev/vfio/vfio", O_RDWR);
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%s", grp);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		bail(path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		bail("VFIO container");
	vfio_dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, dev);
	if (vfio_dev < 0)
		bail("VFIO_GROUP_GET_DEVICE_FD");
}

static int file_op(uint64_t attr, int fd)
{
	return dev_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, attr, &fd);
}

#define CHECK_ERR(expr, err, what) do {					\
	int __r = (expr);						\
	check(__r == (err), "%s: %s (want %s)", what,			\
	      __r ? strerror(__r) : "0", (err) ? strerror(err) : "0");	\
} while (0)

int main(int argc, char **argv)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct kvm_create_device kv = { .type = KVM_DEV_TYPE_VFIO };
	struct timespec settle = { .tv_nsec = 100 * 1000 * 1000 };
	int vm, trigger, other, resample, unmask;
	char path[96];
	bool unbound;
	pid_t child;
	long irqs;

	if (argc < 3) {
		fprintf(stderr, "usage: %s GROUP DEVICE [INDEX]\n", argv[0]);
		return 2;
	}
	irq_index = argc > 3 ? atoi(argv[3]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);

	vm = create_vm();
	if (ioctl(vm, KVM_CREATE_DEVICE, &kv))
		bail("KVM_CREATE_DEVICE kvm-vfio");
	kvm_vfio = kv.fd;
	open_vfio(argv[1], argv[2]);
	if (ioctl(vfio_dev, VFIO_DEVICE_GET_INFO, &info))
		bail("VFIO_DEVICE_GET_INFO");
	pci = info.flags & VFIO_DEVICE_FLAGS_PCI;
	printf("# %s (%s), IRQ index %u\n", argv[2], pci ? "vfio-pci" :
	       "vfio-platform", irq_index);
	trigger = eventfd(0, EFD_CLOEXEC);
	other = eventfd(0, EFD_CLOEXEC);
	resample = eventfd(0, EFD_CLOEXEC);
	unmask = eventfd(0, EFD_CLOEXEC);

	/* What the kernel says it implements */
	CHECK_ERR(dev_attr(KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE,
			   KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, NULL), 0,
		  "has_attr FORWARD_IRQ");
	CHECK_ERR(dev_attr(KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE,
			   KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ, NULL), 0,
		  "has_attr UNFORWARD_IRQ");
	CHECK_ERR(dev_attr(KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE,
			   KVM_DEV_VFIO_DEVICE_POST_IRQ, NULL), ENXIO,
		  "has_attr POST_IRQ (not implemented)");
	CHECK_ERR(dev_attr(KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE,
			   KVM_DEV_VFIO_DEVICE_UNPOST_IRQ, NULL), ENXIO,
		  "has_attr UNPOST_IRQ (not implemented)");
	CHECK_ERR(dev_attr(KVM_HAS_DEVICE_ATTR, 2, 1, NULL), ENXIO,
		  "has_attr group 2 stays unclaimed");

	/* Who may forward */
	CHECK_ERR(forward(GSI), EPERM, "FORWARD before FILE_ADD");
	CHECK_ERR(file_op(KVM_DEV_VFIO_FILE_ADD, group), 0, "FILE_ADD group");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, trigger, irq_index,
			  0, 1, 0, GSI), EBADF, "FORWARD of an eventfd");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, 4000, irq_index,
			  0, 1, 0, GSI), EBADF, "FORWARD of a closed fd");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, -1, irq_index,
			  0, 1, 0, GSI), EBADF, "FORWARD of fd -1 (fd is signed)");

	/* The argument */
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
			  irq_index, 0, 1, sizeof(struct kvm_vfio_dev_irq),
			  GSI), EINVAL, "argsz without room for gsi[]");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
			  irq_index, 0, 0, 0, GSI), EINVAL, "count 0");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
			  irq_index, 0, 4096, 64, GSI), EINVAL,
		  "count beyond the limit");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
			  irq_index, 0xffffffff, 2, 0, GSI), EINVAL,
		  "start + count overflows");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
			  irq_index, 1, 1, 0, GSI), EINVAL,
		  "sub-index the IRQ does not have");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev, 7, 0, 1,
			  0, GSI), EINVAL, "IRQ index the device does not have");
	CHECK_ERR(dev_attr(KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_DEVICE,
			   KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, (void *)16), EFAULT,
		  "bad address");
	CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_POST_IRQ, vfio_dev, irq_index,
			  0, 1, 0, GSI), ENXIO, "POST_IRQ (not implemented)");

	/* The preconditions, one missing at a time */
	CHECK_ERR(forward(GSI), EINVAL, "FORWARD without a VFIO trigger");
	CHECK_ERR(set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_TRIGGER, trigger),
		  0, "VFIO trigger set");
	CHECK_ERR(forward(GSI), EINVAL, "FORWARD without an irqfd");
	CHECK_ERR(irqfd(vm, other, GSI, -1, true), 0, "irqfd of another eventfd");
	CHECK_ERR(forward(GSI), EINVAL,
		  "FORWARD when the irqfd is not the trigger's");
	CHECK_ERR(irqfd(vm, other, GSI, -1, false), 0, "irqfd removed");
	CHECK_ERR(irqfd(vm, trigger, GSI, resample, true), 0,
		  "irqfd with a resamplefd");
	CHECK_ERR(forward(GSI), EBUSY, "FORWARD with a resamplefd attached");
	CHECK_ERR(irqfd(vm, trigger, GSI, -1, false), 0, "irqfd removed");
	CHECK_ERR(irqfd(vm, trigger, GSI_UNROUTED, -1, true), 0,
		  "irqfd to a GSI without a route");
	CHECK_ERR(forward(GSI_UNROUTED), EINVAL,
		  "FORWARD to a GSI that is no vgic SPI");
	CHECK_ERR(irqfd(vm, trigger, GSI_UNROUTED, -1, false), 0,
		  "irqfd removed");
	CHECK_ERR(irqfd(vm, trigger, GSI, -1, true), 0, "irqfd without resamplefd");
	CHECK_ERR(set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_UNMASK, unmask), 0,
		  "VFIO unmask eventfd set");
	CHECK_ERR(forward(GSI), EBUSY, "FORWARD with an unmask eventfd attached");
	CHECK_ERR(set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_UNMASK, -1), 0,
		  "VFIO unmask eventfd removed");
	if (pci)
		CHECK_ERR(fwd_req(KVM_DEV_VFIO_DEVICE_FORWARD_IRQ, vfio_dev,
				  VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 0, GSI),
			  EINVAL, "FORWARD of an MSI (posted, not forwarded)");

	/* Lifecycle */
	/* Userspace drives an SPI's line, unless it is forwarded */
	check(spi_raise_lower(vm, SPI + 1, 0),
	      "KVM_IRQ_LINE raises and lowers an SPI not forwarded");
	req_flags = 1;
	CHECK_ERR(forward(GSI), EINVAL, "FORWARD with a flag set (none defined)");
	req_flags = 0;
	CHECK_ERR(forward(GSI), 0, "FORWARD");
	CHECK_ERR(forward(GSI), EBUSY, "FORWARD again");
	CHECK_ERR(set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_UNMASK, unmask),
		  EBUSY, "VFIO unmask eventfd refused while forwarded");
	check(spi_raise_lower(vm, SPI, 1),
	      "KVM_IRQ_LINE cannot lower a forwarded SPI");
	CHECK_ERR(unforward(), 0, "UNFORWARD");
	check(spi_raise_lower(vm, SPI, 0),
	      "KVM_IRQ_LINE lowers the SPI again once unforwarded");
	CHECK_ERR(unforward(), EINVAL, "UNFORWARD of an IRQ not forwarded");
	CHECK_ERR(forward(GSI), 0, "FORWARD after UNFORWARD");
	CHECK_ERR(clear_trigger(irq_index), 0,
		  "VFIO trigger disabled under the forwarded IRQ");
	CHECK_ERR(unforward(), EINVAL, "UNFORWARD after VFIO took it back");
	CHECK_ERR(set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_TRIGGER, trigger),
		  0, "VFIO trigger set again");
	CHECK_ERR(forward(GSI), 0, "FORWARD after VFIO took it back");
	CHECK_ERR(file_op(KVM_DEV_VFIO_FILE_DEL, group), 0,
		  "FILE_DEL group while forwarded");
	CHECK_ERR(unforward(), EPERM, "UNFORWARD after FILE_DEL");
	CHECK_ERR(file_op(KVM_DEV_VFIO_FILE_ADD, group), 0, "FILE_ADD again");
	CHECK_ERR(forward(GSI), 0, "FORWARD after FILE_DEL unforwarded it");

	/*
	 * No vCPU runs, so no guest EOI: the host takes the IRQ once and it
	 * stays active.  Masked for a thread (threadirqs) it would be
	 * deactivated and fire again while the line stays up.
	 */
	irqs = vfio_host_irqs();
	check(irqs >= 0 && device_raise() == 0, "device raises its interrupt");
	/* the first within 3 s however slow the host, then 300 ms more */
	for (int i = 0; i < 30 && vfio_host_irqs() == irqs; i++)
		nanosleep(&settle, NULL);
	for (int i = 0; i < 3; i++)
		nanosleep(&settle, NULL);
	irqs = irqs < 0 ? -1 : vfio_host_irqs() - irqs;
	check(irqs == 1,
	      "forwarded IRQ taken once with no guest to EOI it (%ld times)",
	      irqs);
	check(device_lower() == 0, "device lowers its interrupt");

	/* Left forwarded: closing the kvm-vfio device must unforward it. */
	close(kvm_vfio);
	close_vm(vm);
	CHECK_ERR(clear_trigger(irq_index), 0, "VFIO trigger disabled after VM close");

	/*
	 * Another VM forwards it; the device fd closes, so VFIO stops the
	 * forwarding itself.  Nothing may then wait for kvm-vfio: unbinding
	 * the device (which waits for every reference on it) returns at once.
	 */
	vm = create_vm();
	if (ioctl(vm, KVM_CREATE_DEVICE, &kv))
		bail("KVM_CREATE_DEVICE kvm-vfio");
	kvm_vfio = kv.fd;
	/* the only open of the device: its close tears its IRQs down */
	close(vfio_dev);
	vfio_dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	check(vfio_dev >= 0 && !file_op(KVM_DEV_VFIO_FILE_ADD, group) &&
	      !set_irq_fd(irq_index, VFIO_IRQ_SET_ACTION_TRIGGER, trigger) &&
	      !irqfd(vm, trigger, GSI, -1, true) && !forward(GSI),
	      "a second VM forwards the IRQ");
	close(vfio_dev);
	child = unbind_start(argv[2]);
	unbound = unbind_wait(child, 3000);
	check(unbound, "unbinding the device returns at once after its fd closed");
	close(kvm_vfio);
	close_vm(vm);
	/* if it waited for the VM instead */
	unbound = unbound || unbind_wait(child, 30000);
	check(unbound, "the device is unbound once the VM has gone");
	/* (a bind would wait for the unbind's device lock for good) */
	snprintf(path, sizeof(path), "/sys/bus/%s/drivers_probe",
		 pci ? "pci" : "platform");
	check(unbound && !sysfs_write(path, argv[2]),
	      "the device is bound again (its driver_override)");
	printf("1..%d\n", tests);
	printf("# %d of %d failed\n", failures, tests);
	return failures ? 1 : 0;
}
