/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A fake VFIO PCI device for qtests, loaded into QEMU with LD_PRELOAD:
 * it answers the legacy container, group and device ioctls and the
 * device's config space and BAR 0 accesses, so that vfio-pci's own code
 * (realize, MSI/MSI-X enable and disable, reset, unplug) runs without
 * VFIO hardware.  Every VFIO_DEVICE_SET_IRQS is written to stderr, in
 * order with QEMU's trace output, for the test to check the order of
 * operations.
 *
 * Environment: VFIO_FAKE_GROUP, the group number to fake (/dev/vfio/N);
 * VFIO_FAKE_LOG, a file that receives the process's stderr.  Only those
 * paths and the fds they lead to are faked; everything else is passed on.
 *
 * The device: vendor 0x1234 (no quirks), INTx pin A, an MSI capability
 * (one vector) at 0x40 and an MSI-X capability (four vectors, table and
 * PBA in BAR 0) at 0x50.
 */

/* Not QEMU code: plain libc symbols, no large-file or fortify aliases. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
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
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

enum { ROLE_NONE, ROLE_CONTAINER, ROLE_GROUP, ROLE_DEVICE };

#define MAX_FD          1024
#define REGION_SHIFT    40
#define CONFIG_SIZE     256
#define BAR0_SIZE       4096
#define MSI_CAP         0x40
#define MSIX_CAP        0x50
#define MSIX_VECTORS    4

static unsigned char roles[MAX_FD];
static uint8_t config[CONFIG_SIZE];
static uint8_t bar0[BAR0_SIZE];

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void fake_config_init(void)
{
    put16(config + PCI_VENDOR_ID, 0x1234);
    put16(config + PCI_DEVICE_ID, 0x0f0f);
    put16(config + PCI_STATUS, PCI_STATUS_CAP_LIST);
    config[PCI_CLASS_DEVICE + 1] = 0xff;            /* "other" */
    config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
    put32(config + PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_32);
    config[PCI_CAPABILITY_LIST] = MSI_CAP;
    config[PCI_INTERRUPT_PIN] = 1;

    config[MSI_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
    config[MSI_CAP + PCI_CAP_LIST_NEXT] = MSIX_CAP;
    put16(config + MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);

    config[MSIX_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
    config[MSIX_CAP + PCI_CAP_LIST_NEXT] = 0;
    put16(config + MSIX_CAP + PCI_MSIX_FLAGS, MSIX_VECTORS - 1);
    put32(config + MSIX_CAP + PCI_MSIX_TABLE, 0x000);    /* BAR 0 */
    put32(config + MSIX_CAP + PCI_MSIX_PBA, 0x800);      /* BAR 0 */
}

static int (*real_open)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_close)(int);
static char group_path[64];

__attribute__((constructor))
static void fake_init(void)
{
    const char *group = getenv("VFIO_FAKE_GROUP");
    const char *log = getenv("VFIO_FAKE_LOG");

    real_open = dlsym(RTLD_NEXT, "open");
    real_ioctl = dlsym(RTLD_NEXT, "ioctl");
    real_pread = dlsym(RTLD_NEXT, "pread64");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite64");
    real_close = dlsym(RTLD_NEXT, "close");
    if (group) {
        snprintf(group_path, sizeof(group_path), "/dev/vfio/%s", group);
    }
    if (log) {
        int fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                           0600);

        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            real_close(fd);
        }
    }
    fake_config_init();
}

static int role(int fd)
{
    return fd >= 0 && fd < MAX_FD ? roles[fd] : ROLE_NONE;
}

/* A real fd stands for each faked object, so that close() and dup work. */
static int new_fd(int r)
{
    int fd = eventfd(0, EFD_CLOEXEC);

    if (fd >= MAX_FD) {
        real_close(fd);
        errno = EMFILE;
        return -1;
    }
    if (fd >= 0) {
        roles[fd] = r;
    }
    return fd;
}

static int fake_open(const char *path)
{
    if (!strcmp(path, "/dev/vfio/vfio")) {
        return new_fd(ROLE_CONTAINER);
    }
    if (group_path[0] && !strcmp(path, group_path)) {
        return new_fd(ROLE_GROUP);
    }
    return -2;
}

#define OPEN_WRAPPER(name)                                              \
int name(const char *path, int flags, ...)                              \
{                                                                       \
    va_list ap;                                                         \
    mode_t mode = 0;                                                    \
    int fd = fake_open(path);                                           \
                                                                        \
    if (fd != -2) {                                                     \
        return fd;                                                      \
    }                                                                   \
    if (flags & (O_CREAT | O_TMPFILE)) {                                \
        va_start(ap, flags);                                            \
        mode = va_arg(ap, mode_t);                                      \
        va_end(ap);                                                     \
    }                                                                   \
    return real_open(path, flags, mode);                                \
}
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

int close(int fd)
{
    if (fd >= 0 && fd < MAX_FD) {
        roles[fd] = ROLE_NONE;
    }
    return real_close(fd);
}

static const char *irq_action(uint32_t flags)
{
    switch (flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
    case VFIO_IRQ_SET_ACTION_MASK:
        return "mask";
    case VFIO_IRQ_SET_ACTION_UNMASK:
        return "unmask";
    case VFIO_IRQ_SET_ACTION_TRIGGER:
        return "trigger";
    }
    return "?";
}

static const char *irq_data(uint32_t flags)
{
    switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
    case VFIO_IRQ_SET_DATA_NONE:
        return "none";
    case VFIO_IRQ_SET_DATA_BOOL:
        return "bool";
    case VFIO_IRQ_SET_DATA_EVENTFD:
        return "eventfd";
    }
    return "?";
}

static int device_ioctl(unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_DEVICE_GET_INFO: {
        struct vfio_device_info *info = arg;

        info->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
        info->num_regions = VFIO_PCI_NUM_REGIONS;
        info->num_irqs = VFIO_PCI_NUM_IRQS;
        info->argsz = sizeof(*info);
        return 0;
    }
    case VFIO_DEVICE_GET_REGION_INFO: {
        struct vfio_region_info *info = arg;

        if (info->index >= VFIO_PCI_NUM_REGIONS) {
            errno = EINVAL;
            return -1;
        }
        info->argsz = sizeof(*info);
        info->cap_offset = 0;
        info->offset = (uint64_t)info->index << REGION_SHIFT;
        info->size = info->index == VFIO_PCI_CONFIG_REGION_INDEX ?
                     CONFIG_SIZE :
                     info->index == VFIO_PCI_BAR0_REGION_INDEX ? BAR0_SIZE : 0;
        info->flags = info->size ? VFIO_REGION_INFO_FLAG_READ |
                                   VFIO_REGION_INFO_FLAG_WRITE : 0;
        return 0;
    }
    case VFIO_DEVICE_GET_IRQ_INFO: {
        struct vfio_irq_info *info = arg;
        static const uint32_t count[VFIO_PCI_NUM_IRQS] = {
            [VFIO_PCI_INTX_IRQ_INDEX] = 1,
            [VFIO_PCI_MSI_IRQ_INDEX] = 1,
            [VFIO_PCI_MSIX_IRQ_INDEX] = MSIX_VECTORS,
            [VFIO_PCI_ERR_IRQ_INDEX] = 1,
            [VFIO_PCI_REQ_IRQ_INDEX] = 1,
        };

        if (info->index >= VFIO_PCI_NUM_IRQS) {
            errno = EINVAL;
            return -1;
        }
        info->count = count[info->index];
        info->flags = VFIO_IRQ_INFO_EVENTFD;
        if (info->index == VFIO_PCI_INTX_IRQ_INDEX) {
            info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
        } else if (info->index == VFIO_PCI_MSI_IRQ_INDEX) {
            info->flags |= VFIO_IRQ_INFO_NORESIZE;
        }
        return 0;
    }
    case VFIO_DEVICE_SET_IRQS: {
        struct vfio_irq_set *set = arg;

        fprintf(stderr, "vfio-fake: SET_IRQS index %u start %u count %u "
                "%s %s\n", set->index, set->start, set->count,
                irq_action(set->flags), irq_data(set->flags));
        return 0;
    }
    case VFIO_DEVICE_RESET:
        fprintf(stderr, "vfio-fake: RESET\n");
        return 0;
    default:
        /* No migration, no hot reset, no features. */
        errno = ENOTTY;
        return -1;
    }
}

static int container_ioctl(unsigned long req, unsigned long val, void *arg)
{
    switch (req) {
    case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
        return val == VFIO_TYPE1v2_IOMMU || val == VFIO_TYPE1_IOMMU;
    case VFIO_SET_IOMMU:
        return 0;
    case VFIO_IOMMU_GET_INFO: {
        struct vfio_iommu_type1_info *info = arg;

        info->argsz = sizeof(*info);
        info->flags = VFIO_IOMMU_INFO_PGSIZES;
        info->iova_pgsizes = 4096;
        info->cap_offset = 0;
        return 0;
    }
    case VFIO_IOMMU_MAP_DMA:
    case VFIO_IOMMU_UNMAP_DMA:
        return 0;
    default:
        errno = ENOTTY;
        return -1;
    }
}

static int group_ioctl(unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_GROUP_GET_STATUS: {
        struct vfio_group_status *status = arg;

        status->flags = VFIO_GROUP_FLAGS_VIABLE;
        return 0;
    }
    case VFIO_GROUP_SET_CONTAINER:
    case VFIO_GROUP_UNSET_CONTAINER:
        return 0;
    case VFIO_GROUP_GET_DEVICE_FD:
        return new_fd(ROLE_DEVICE);
    default:
        errno = ENOTTY;
        return -1;
    }
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    unsigned long val;

    va_start(ap, req);
    val = va_arg(ap, unsigned long);
    va_end(ap);

    switch (role(fd)) {
    case ROLE_CONTAINER:
        return container_ioctl(req, val, (void *)val);
    case ROLE_GROUP:
        return group_ioctl(req, (void *)val);
    case ROLE_DEVICE:
        return device_ioctl(req, (void *)val);
    }
    return real_ioctl(fd, req, val);
}

/* Config space and BAR 0 at their region offsets; else EINVAL. */
static uint8_t *region(off_t off, size_t len)
{
    unsigned index = off >> REGION_SHIFT;
    off_t at = off & ((1ULL << REGION_SHIFT) - 1);

    if (index == VFIO_PCI_CONFIG_REGION_INDEX && at + len <= CONFIG_SIZE) {
        return config + at;
    }
    if (index == VFIO_PCI_BAR0_REGION_INDEX && at + len <= BAR0_SIZE) {
        return bar0 + at;
    }
    errno = EINVAL;
    return NULL;
}

/* IDs, header and capabilities are read-only, as on hardware. */
static bool writable(const uint8_t *p)
{
    return (p >= bar0 && p < bar0 + BAR0_SIZE) ||
           (p >= config + PCI_COMMAND && p < config + PCI_CACHE_LINE_SIZE);
}

static ssize_t fake_pread(int fd, void *buf, size_t len, off_t off)
{
    uint8_t *p;

    if (role(fd) != ROLE_DEVICE) {
        return real_pread(fd, buf, len, off);
    }
    p = region(off, len);
    if (!p) {
        return -1;
    }
    memcpy(buf, p, len);
    return len;
}

static ssize_t fake_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    uint8_t *p;

    if (role(fd) != ROLE_DEVICE) {
        return real_pwrite(fd, buf, len, off);
    }
    p = region(off, len);
    if (!p) {
        return -1;
    }
    if (writable(p)) {
        memcpy(p, buf, len);
    }
    return len;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    return fake_pread(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
    return fake_pread(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return fake_pwrite(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return fake_pwrite(fd, buf, len, off);
}

/*
 * glibc's fortified entry points, which QEMU calls when built with
 * _FORTIFY_SOURCE; glibc declares them only then.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

int __open_2(const char *path, int flags)
{
    int fd = fake_open(path);

    return fd != -2 ? fd : real_open(path, flags);
}

int __open64_2(const char *path, int flags)
{
    return __open_2(path, flags);
}

ssize_t __pread64_chk(int fd, void *buf, size_t len, off_t off, size_t size)
{
    return fake_pread(fd, buf, len, off);
}

ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t size)
{
    return fake_pread(fd, buf, len, off);
}

#pragma GCC diagnostic pop
