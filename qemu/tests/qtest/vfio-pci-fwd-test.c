/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * vfio-pci's call sites of IRQ forwarding (pci.c, pci-irq-forward.c,
 * pci-msi-forward.c), run for real against a fake VFIO device
 * (vfio-fake-device.c, preloaded into QEMU): a guest enables and
 * disables MSI and MSI-X, the machine is reset and the device unplugged,
 * realize fails, and the order in which QEMU takes each vector out of
 * its mode and has VFIO tear it down is read from one ordered log
 * (QEMU's trace and the fake's VFIO_DEVICE_SET_IRQS).  A posted vector
 * must leave its mode before VFIO's vector goes.  Without KVM no vector
 * has a KVM route, so what depends on one (MSI-X masking's switch to
 * QEMU's eventfd, route updates, migration's refresh) does not run
 * here; the state machine's unit tests cover those against a fake
 * kernel.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hw/pci/pci_regs.h"

#define FAKE_GROUP  "987654"
#define SLOT        4
#define MSI_CAP     0x40            /* vfio-fake-device.c's layout */

typedef struct Fake {
    char *dir;
    char *sysfsdev;
    char *log;
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
} Fake;

static void fake_start(Fake *f, const char *props)
{
    g_autofree char *link = NULL;
    g_autofree char *old_preload = NULL;
    g_autofree char *preload = NULL;

    f->dir = g_dir_make_tmp("vfio-fake-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->sysfsdev = g_build_filename(f->dir, "dev0", NULL);
    g_assert_cmpint(mkdir(f->sysfsdev, 0700), ==, 0);
    link = g_build_filename(f->sysfsdev, "iommu_group", NULL);
    g_assert_cmpint(symlink("../groups/" FAKE_GROUP, link), ==, 0);
    f->log = g_build_filename(f->dir, "log", NULL);

    /* Only the QEMU process (and the shell that starts it) sees these. */
    old_preload = g_strdup(g_getenv("LD_PRELOAD"));
    preload = old_preload ? g_strdup_printf("%s:%s", old_preload,
                                            VFIO_FAKE_DEVICE_SO) :
                            g_strdup(VFIO_FAKE_DEVICE_SO);
    g_setenv("LD_PRELOAD", preload, true);
    g_setenv("VFIO_FAKE_GROUP", FAKE_GROUP, true);
    g_setenv("VFIO_FAKE_LOG", f->log, true);
    f->qts = qtest_initf("-M pc -nodefaults -trace vfio_irq_fwd_mode "
                         "-trace vfio_intx_update "
                         "-device vfio-pci,sysfsdev=%s,id=v0,addr=%d.0%s",
                         f->sysfsdev, SLOT, props ? props : "");
    if (old_preload) {
        g_setenv("LD_PRELOAD", old_preload, true);
    } else {
        g_unsetenv("LD_PRELOAD");
    }
    g_unsetenv("VFIO_FAKE_GROUP");
    g_unsetenv("VFIO_FAKE_LOG");

    f->bus = qpci_new_pc(f->qts, NULL);
    f->dev = qpci_device_find(f->bus, QPCI_DEVFN(SLOT, 0));
    g_assert_nonnull(f->dev);
    qpci_device_enable(f->dev);
}

/* Stop QEMU and return its log, a line per entry. */
static char **fake_stop(Fake *f)
{
    g_autofree char *text = NULL;
    g_autofree char *link = g_build_filename(f->sysfsdev, "iommu_group",
                                             NULL);
    char **lines;

    g_free(f->dev);
    qpci_free_pc(f->bus);
    qtest_quit(f->qts);
    g_assert_true(g_file_get_contents(f->log, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    if (g_test_verbose()) {
        g_test_message("%s", text);
    }
    unlink(f->log);
    unlink(link);
    rmdir(f->sysfsdev);
    rmdir(f->dir);
    g_free(f->log);
    g_free(f->sysfsdev);
    g_free(f->dir);
    return lines;
}

/*
 * Note in the log where the test is: QEMU has written all it had to for
 * the previous command before its answer came.
 */
static void mark(Fake *f, const char *what)
{
    g_autofree char *line = g_strdup_printf("qtest-mark: %s\n", what);
    int fd = open(f->log, O_WRONLY | O_APPEND);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, line, strlen(line)), ==, strlen(line));
    close(fd);
}

/* The first line from @from on that contains @what (and @too), or -1. */
static int find2(char **lines, int from, const char *what, const char *too)
{
    for (int i = MAX(from, 0); lines[i]; i++) {
        if (strstr(lines[i], what) && (!too || strstr(lines[i], too))) {
            return i;
        }
    }
    return -1;
}

static int find(char **lines, int from, const char *what)
{
    return find2(lines, from, what, NULL);
}

/* The trace line of IRQ @irq ("1.0") entering @mode. */
static int find_mode(char **lines, int from, const char *irq,
                     const char *mode)
{
    g_autofree char *i = g_strdup_printf("IRQ %s gsi ", irq);
    g_autofree char *m = g_strdup_printf(": %s", mode);

    return find2(lines, from, i, m);
}

static bool have_trace(char **lines)
{
    if (find(lines, 0, "vfio_irq_fwd_mode") < 0) {
        g_test_skip("QEMU was built without the log trace backend");
        return false;
    }
    return true;
}

static void msi_enable(Fake *f, bool on)
{
    uint16_t flags = qpci_config_readw(f->dev, MSI_CAP + PCI_MSI_FLAGS);

    g_assert_cmpint(qpci_find_capability(f->dev, PCI_CAP_ID_MSI, 0), ==,
                    MSI_CAP);
    if (on) {
        qpci_config_writel(f->dev, MSI_CAP + PCI_MSI_ADDRESS_LO, 0xfee00000);
        qpci_config_writel(f->dev, MSI_CAP + PCI_MSI_ADDRESS_HI, 0);
        qpci_config_writew(f->dev, MSI_CAP + PCI_MSI_DATA_64, 0x0041);
        flags |= PCI_MSI_FLAGS_ENABLE;
    } else {
        flags &= ~PCI_MSI_FLAGS_ENABLE;
    }
    qpci_config_writew(f->dev, MSI_CAP + PCI_MSI_FLAGS, flags);
}

/*
 * After the mark @step, the MSI vector leaves its mode before VFIO's MSI
 * index is torn down (SET_IRQS count 0).  Returns the teardown's line.
 */
static int assert_msi_unposted_first(char **lines, const char *step)
{
    g_autofree char *m = g_strdup_printf("qtest-mark: %s", step);
    int from = find(lines, 0, m);
    int down = find_mode(lines, from, "1.0", "disabled");
    int teardown = find(lines, from, "SET_IRQS index 1 start 0 count 0");

    g_assert_cmpint(from, >, 0);
    /* The vector was in use: set up before the mark. */
    g_assert_cmpint(find_mode(lines, 0, "1.0", "userspace"), <, from);
    g_assert_cmpint(find_mode(lines, 0, "1.0", "userspace"), >, 0);
    g_assert_cmpint(down, >, from);
    g_assert_cmpint(teardown, >, from);
    g_assert_cmpint(down, <, teardown);
    return teardown;
}

/*
 * With MSI enabled, @teardown (after the mark @step) takes it down: the
 * vector must leave its mode first.  Returns QEMU's log and sets
 * *@teardown_line, or returns NULL when QEMU has no log trace backend.
 */
static char **msi_torn_down(void (*teardown)(Fake *f), const char *step,
                            int *teardown_line)
{
    Fake f;
    char **lines;

    fake_start(&f, NULL);
    msi_enable(&f, true);
    mark(&f, step);
    teardown(&f);
    lines = fake_stop(&f);
    if (!have_trace(lines)) {
        g_strfreev(lines);
        return NULL;
    }
    *teardown_line = assert_msi_unposted_first(lines, step);
    return lines;
}

static void msi_off(Fake *f)
{
    msi_enable(f, false);
}

static void reset(Fake *f)
{
    qtest_system_reset(f->qts);
}

static void unplug(Fake *f)
{
    qpci_unplug_acpi_device_test(f->qts, "v0", SLOT);
}

/* The guest disables MSI, and INTx comes back. */
static void test_msi_disable(void)
{
    int teardown;
    g_auto(GStrv) lines = msi_torn_down(msi_off, "msi off", &teardown);

    if (lines) {
        g_assert_cmpint(find_mode(lines, teardown, "0.0", "userspace"),
                        >, teardown);
    }
}

/* system_reset with MSI enabled; the device is reset after. */
static void test_msi_reset(void)
{
    int teardown;
    g_auto(GStrv) lines = msi_torn_down(reset, "reset", &teardown);

    if (lines) {
        g_assert_cmpint(find(lines, teardown, "vfio-fake: RESET"), >,
                        teardown);
    }
}

/* Hot-unplug with MSI enabled. */
static void test_msi_unplug(void)
{
    int teardown;

    g_strfreev(msi_torn_down(unplug, "unplug", &teardown));
}

/*
 * MSI-X: unmasking vector 0 points VFIO's trigger at it before the vector
 * enters its mode (a vector is posted only once VFIO signals its irqfd);
 * disabling MSI-X takes it out of its mode before VFIO's index goes.
 * (Without a KVM route, masking leaves the vector on QEMU's eventfd.)
 */
static void test_msix(void)
{
    Fake f;
    g_auto(GStrv) lines = NULL;
    QPCIBar bar;
    uint64_t table;
    int from, trigger, up, down, teardown;

    fake_start(&f, NULL);
    qpci_msix_enable(f.dev);
    bar = f.dev->msix_table_bar;
    table = f.dev->msix_table_off;
    g_assert_true(qpci_msix_masked(f.dev, 0));
    qpci_io_writel(f.dev, bar, table + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000);
    qpci_io_writel(f.dev, bar, table + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
    qpci_io_writel(f.dev, bar, table + PCI_MSIX_ENTRY_DATA, 0x0042);
    mark(&f, "unmask");
    qpci_io_writel(f.dev, bar, table + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_false(qpci_msix_masked(f.dev, 0));
    mark(&f, "msix off");
    qpci_msix_disable(f.dev);
    lines = fake_stop(&f);
    if (!have_trace(lines)) {
        return;
    }
    from = find(lines, 0, "qtest-mark: unmask");
    trigger = find(lines, from, "SET_IRQS index 2 start 0 count 1 trigger "
                   "eventfd");
    up = find_mode(lines, from, "2.0", "userspace");
    g_assert_cmpint(from, >, 0);
    g_assert_cmpint(trigger, >, from);
    g_assert_cmpint(up, >, trigger);

    from = find(lines, up, "qtest-mark: msix off");
    down = find_mode(lines, from, "2.0", "disabled");
    teardown = find(lines, from, "SET_IRQS index 2 start 0 count 0");
    g_assert_cmpint(from, >, up);
    g_assert_cmpint(down, >, from);
    g_assert_cmpint(teardown, >, down);
}

/* The devices query-vfio-irqs lists. */
static int query_devices(QTestState *qts)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'query-vfio-irqs'}");
    int n = qlist_size(qdict_get_qlist(resp, "return"));

    qobject_unref(resp);
    return n;
}

/*
 * Realize fails after the forwarding state is set up (here: xres without
 * a display): nothing of it stays behind, and the same host device can
 * be added again and works.
 */
static void test_realize_fails(void)
{
    Fake f;
    g_auto(GStrv) lines = NULL;
    QDict *resp;
    int failed, ok, up, down, teardown;

    fake_start(&f, NULL);
    qpci_unplug_acpi_device_test(f.qts, "v0", SLOT);
    g_assert_cmpint(query_devices(f.qts), ==, 0);

    mark(&f, "failing realize");
    resp = qtest_qmp(f.qts, "{'execute': 'device_add', 'arguments': {"
                     "'driver': 'vfio-pci', 'id': 'v1', 'addr': '5.0',"
                     "'sysfsdev': %s, 'xres': 1024}}", f.sysfsdev);
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                          "desc"),
                            "xres and yres properties require display=on"));
    qobject_unref(resp);
    g_assert_cmpint(query_devices(f.qts), ==, 0);

    mark(&f, "realize");
    qtest_qmp_device_add(f.qts, "vfio-pci", "v1", "{'addr': '5.0', "
                         "'sysfsdev': %s}", f.sysfsdev);
    g_assert_cmpint(query_devices(f.qts), ==, 1);
    lines = fake_stop(&f);
    if (!have_trace(lines)) {
        return;
    }
    /*
     * The failed device's INTx: set up, then out of its mode before VFIO
     * tears it down, all before the next device_add.
     */
    failed = find(lines, 0, "qtest-mark: failing realize");
    ok = find(lines, failed, "qtest-mark: realize");
    up = find_mode(lines, failed, "0.0", "userspace");
    down = find_mode(lines, up, "0.0", "disabled");
    teardown = find(lines, up, "SET_IRQS index 0 start 0 count 0");
    g_assert_cmpint(failed, >, 0);
    g_assert_cmpint(up, >, failed);
    g_assert_cmpint(down, >, up);
    g_assert_cmpint(teardown, >, down);
    g_assert_cmpint(ok, >, teardown);
}

/*
 * Without KVM, INTx is QEMU's (userspace) whatever x-forward says, and
 * upstream makes no VFIO call for it beyond setting its trigger: none
 * when INTx is enabled, none when the guest reroutes it (PIIX3's PIRQ
 * route registers).  x-forward=off must be upstream's behaviour, and
 * auto on a kernel or accelerator without the API likewise.
 */
static void test_intx_userspace(const void *props)
{
    Fake f;
    g_auto(GStrv) lines = NULL;
    QPCIDevice *piix;
    int trigger, route, end, moved;

    fake_start(&f, props);
    mark(&f, "reroute");
    piix = qpci_device_find(f.bus, QPCI_DEVFN(1, 0));
    g_assert_nonnull(piix);
    for (int i = 0; i < 4; i++) {
        qpci_config_writeb(piix, 0x60 + i, 11);     /* PIRQA-D: IRQ 11 */
    }
    g_free(piix);
    mark(&f, "end");
    lines = fake_stop(&f);
    if (!have_trace(lines)) {
        return;
    }
    trigger = find(lines, 0, "SET_IRQS index 0 start 0 count 1 trigger "
                   "eventfd");
    route = find(lines, 0, "qtest-mark: reroute");
    end = find(lines, route, "qtest-mark: end");
    moved = find2(lines, route, "vfio_intx_update", "-> 11");
    g_assert_cmpint(trigger, >=, 0);
    g_assert_cmpint(route, >, trigger);
    g_assert_cmpint(find_mode(lines, 0, "0.0", "userspace"), >, trigger);
    g_assert_cmpint(moved, >, route);
    g_assert_cmpint(end, >, moved);
    /*
     * Enabling INTx (at realize and again after the machine's reset) sets
     * its trigger and masks nothing; the reroute calls VFIO not at all.
     */
    for (int i = 0; i < end; i++) {
        g_assert_null(strstr(lines[i], "SET_IRQS index 0 start 0 count 1 "
                             "mask"));
        g_assert_null(strstr(lines[i], "SET_IRQS index 0 start 0 count 1 "
                             "unmask"));
        g_assert_false(i > route && strstr(lines[i], "SET_IRQS index 0"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!qtest_has_device("vfio-pci")) {
        g_test_skip("no vfio-pci in this QEMU");
        return g_test_run();
    }
    qtest_add_func("/vfio-pci-fwd/msi-disable", test_msi_disable);
    qtest_add_func("/vfio-pci-fwd/msi-reset", test_msi_reset);
    qtest_add_func("/vfio-pci-fwd/msi-unplug", test_msi_unplug);
    qtest_add_func("/vfio-pci-fwd/msix", test_msix);
    qtest_add_func("/vfio-pci-fwd/realize-fails", test_realize_fails);
    qtest_add_data_func("/vfio-pci-fwd/intx-userspace/off",
                        ",x-forward=off", test_intx_userspace);
    qtest_add_data_func("/vfio-pci-fwd/intx-userspace/auto", "",
                        test_intx_userspace);
    return g_test_run();
}
