/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * x-forward on VFIO devices, as a user meets it: the property is listed,
 * bad values and contradictory combinations make QEMU exit with a message
 * naming the device, the property and the reason; query-vfio-irqs and
 * "info vfio-irqs" are there and answer.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"

typedef struct StartupCase {
    const char *name;
    const char *machine;
    const char *device;         /* -device argument */
    const char *expect;         /* in QEMU's stderr */
    const char *absent;         /* must not be in stderr, or NULL */
    const char *accel;          /* NULL: tcg */
} StartupCase;

/* x-forward is listed as OnOffAuto, default auto. */
static void test_listed(const void *data)
{
    const char *type = data;
    QTestState *qts = qtest_init("-machine none");
    QDict *resp = qtest_qmp(qts, "{'execute': 'device-list-properties',"
                            " 'arguments': {'typename': %s}}", type);
    QListEntry *e;
    bool found = false;

    g_assert(qdict_haskey(resp, "return"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(resp, "return"), e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));

        if (g_str_equal(qdict_get_str(prop, "name"), "x-forward")) {
            g_assert_cmpstr(qdict_get_str(prop, "type"), ==, "OnOffAuto");
            g_assert_cmpstr(qdict_get_str(prop, "default-value"), ==, "auto");
            g_assert_nonnull(strstr(qdict_get_str(prop, "description"),
                                    "kvm-vfio"));
            found = true;
        }
    }
    g_assert_true(found);
    qobject_unref(resp);
    qtest_quit(qts);
}

/* The command is in the schema, marked unstable, and answers. */
static void test_query(void)
{
    QTestState *qts = qtest_init("-machine none");
    QDict *resp = qtest_qmp(qts, "{'execute': 'query-qmp-schema'}");
    QListEntry *e;
    bool found = false;
    char *hmp;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(resp, "return"), e) {
        QDict *ent = qobject_to(QDict, qlist_entry_obj(e));

        if (g_str_equal(qdict_get_str(ent, "name"), "query-vfio-irqs")) {
            QList *feat = qdict_get_qlist(ent, "features");

            g_assert_cmpstr(qdict_get_str(ent, "meta-type"), ==, "command");
            g_assert_nonnull(feat);
            g_assert_cmpstr(qstring_get_str(qobject_to(QString,
                            qlist_peek(feat))), ==, "unstable");
            found = true;
        }
    }
    g_assert_true(found);
    qobject_unref(resp);

    /* No VFIO device: an empty list, not an error. */
    resp = qtest_qmp(qts, "{'execute': 'query-vfio-irqs'}");
    g_assert(qdict_haskey(resp, "return"));
    g_assert_true(qlist_empty(qdict_get_qlist(resp, "return")));
    qobject_unref(resp);

    hmp = qtest_hmp(qts, "info vfio-irqs");
    g_assert_cmpstr(hmp, ==, "No VFIO device IRQs\r\n");
    g_free(hmp);
    qtest_quit(qts);
}

/* QEMU must refuse to start, saying why. */
static void test_startup(const void *data)
{
    const StartupCase *c = data;
    const char *accel = c->accel ? c->accel : "tcg";
    const char *args[] = {
        "-machine", c->machine, "-accel", accel, "-nodefaults",
        "-display", "none", "-S", "-device", c->device,
    };
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) qemu = NULL;
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    if (c->accel && !qtest_has_accel(c->accel)) {
        g_test_skip("this QEMU or host has no KVM (/dev/kvm absent or "
                    "not accessible)");
        return;
    }
    /* A command line, as libqtest takes it (e.g. "env A=B qemu-system-x") */
    g_assert_true(g_shell_parse_argv(g_getenv("QTEST_QEMU_BINARY"), NULL,
                                     &qemu, NULL));
    for (int i = 0; qemu[i]; i++) {
        g_ptr_array_add(argv, qemu[i]);
    }
    for (int i = 0; i < ARRAY_SIZE(args); i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &gerr));
    if (c->accel && strstr(err, "failed to initialize kvm")) {
        g_test_skip("/dev/kvm cannot create a VM on this host");
        return;
    }
    /* A startup error, not a crash or a hang-up. */
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    if (!strstr(err, c->expect)) {
        g_test_message("stderr: %s", err);
    }
    g_assert_nonnull(strstr(err, c->expect));
    if (c->absent) {
        g_assert_null(strstr(err, c->absent));
    }
}

/*
 * Hot-plug with a refused x-forward fails cleanly: the error names the
 * device and reason, no device is left, no IRQ state is registered.
 * (vfio-platform cannot be hot-plugged at all.)
 */
static void test_hotplug(const void *data)
{
    const char *machine = data;
    QTestState *qts = qtest_initf("-machine %s -nodefaults "
                                  "-device pcie-root-port,id=rp0", machine);
    QDict *resp;

    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments':"
                     " {'driver': 'vfio-pci', 'id': 'hp0', 'bus': 'rp0',"
                     "  'host': '0000:ff:1f.7', 'x-forward': 'on'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "error"), "desc"),
                    ==, "vfio 0000:ff:1f.7: x-forward=on: IRQs cannot be "
                    "forwarded: KVM is not in use");
    qobject_unref(resp);

    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments':"
                     " {'driver': 'vfio-pci', 'id': 'hp0', 'bus': 'rp0',"
                     "  'host': '0000:ff:1f.7', 'x-forward': 'sometimes'}}");
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                          "desc"),
                            "'x-forward' does not accept value "
                            "'sometimes'"));
    qobject_unref(resp);

    resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments':"
                     " {'path': '/machine/peripheral/hp0', 'property':"
                     "  'type'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    resp = qtest_qmp(qts, "{'execute': 'query-vfio-irqs'}");
    g_assert_true(qlist_empty(qdict_get_qlist(resp, "return")));
    qobject_unref(resp);
    qtest_quit(qts);
}

/* Host devices that cannot exist, so that only the checks can fail. */
#define PLAT "vfio-platform,host=none0"
#define PCI "vfio-pci,host=0000:ff:1f.7"
#define NO_HOST "no such host device"
#define PCI_ON "vfio 0000:ff:1f.7: x-forward=on: IRQs cannot be forwarded: "

static const StartupCase platform_cases[] = {
    { "bad-value", "virt", PLAT ",x-forward=maybe",
      PLAT ",x-forward=maybe: Parameter 'x-forward' does not accept value "
      "'maybe'", NULL },
    { "on-irqfd-off", "virt", PLAT ",x-forward=on,x-irqfd=off",
      "vfio none0: x-forward=on: IRQs cannot be forwarded: x-irqfd=off",
      NULL },
    { "on-tcg", "virt", PLAT ",x-forward=on",
      "vfio none0: x-forward=on: IRQs cannot be forwarded: KVM is not in use",
      NULL },
    /* Without "on", only the missing host device is an error. */
    { "auto-tcg", "virt", PLAT ",x-forward=auto", NO_HOST, "cannot be" },
    { "off-irqfd-off", "virt", PLAT ",x-forward=off,x-irqfd=off", NO_HOST,
      "cannot be" },
};

static const StartupCase pci_aarch64_cases[] = {
    { "bad-value", "virt", PCI ",x-forward=",
      PCI ",x-forward=: Parameter 'x-forward' does not accept value ''",
      NULL },
    /* On ARM INTx is what is forwarded. */
    { "on-no-kvm-intx", "virt", PCI ",x-forward=on,x-no-kvm-intx=on",
      PCI_ON "x-no-kvm-intx=on", NULL },
    { "on-no-kvm-msix", "virt", PCI ",x-forward=on,x-no-kvm-msix=on",
      PCI_ON "KVM is not in use", NULL },
    { "on-tcg", "virt", PCI ",x-forward=on", PCI_ON "KVM is not in use",
      NULL },
    { "auto-tcg", "virt", PCI ",x-forward=auto", NO_HOST, "cannot be" },
};

static const StartupCase pci_x86_64_cases[] = {
    { "bad-value", "q35", PCI ",x-forward=yes-please",
      PCI ",x-forward=yes-please: Parameter 'x-forward' does not accept "
      "value 'yes-please'", NULL },
    /* On x86 MSI and MSI-X are what is posted. */
    { "on-no-kvm-msi", "q35", PCI ",x-forward=on,x-no-kvm-msi=on",
      PCI_ON "x-no-kvm-msi=on", NULL },
    { "on-no-kvm-msix", "q35", PCI ",x-forward=on,x-no-kvm-msix=on",
      PCI_ON "x-no-kvm-msix=on", NULL },
    { "on-no-kvm-intx", "q35", PCI ",x-forward=on,x-no-kvm-intx=on",
      PCI_ON "KVM is not in use", NULL },
    { "on-tcg", "q35", PCI ",x-forward=on", PCI_ON "KVM is not in use",
      NULL },
    { "off-no-kvm-msix", "q35", PCI ",x-forward=off,x-no-kvm-msix=on",
      NO_HOST, "cannot be" },
    /*
     * The real /dev/kvm, with the irqchip in the kernel or split: "on" is
     * not refused up front (the kernel is asked when the guest enables a
     * vector), so only the missing host device stops QEMU.
     */
    { "kvm-on", "q35", PCI ",x-forward=on", NO_HOST, "cannot be", "kvm" },
    { "kvm-split-on", "q35,kernel-irqchip=split", PCI ",x-forward=on",
      NO_HOST, "cannot be", "kvm" },
    { "kvm-on-no-kvm-msix", "q35", PCI ",x-forward=on,x-no-kvm-msix=on",
      PCI_ON "x-no-kvm-msix=on", NULL, "kvm" },
};

static void add_cases(const char *dev, const StartupCase *cases, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        g_autofree char *path = g_strdup_printf("/vfio-forward/%s/startup/%s",
                                                dev, cases[i].name);
        qtest_add_data_func(path, &cases[i], test_startup);
    }
}

int main(int argc, char **argv)
{
    const char *arch = qtest_get_arch();

    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vfio-forward/query", test_query);
    if (g_str_equal(arch, "aarch64") && qtest_has_device("vfio-platform")) {
        qtest_add_data_func("/vfio-forward/platform/listed", "vfio-platform",
                            test_listed);
        add_cases("platform", platform_cases, ARRAY_SIZE(platform_cases));
    }
    if (qtest_has_device("vfio-pci")) {
        qtest_add_data_func("/vfio-forward/pci/listed", "vfio-pci",
                            test_listed);
        qtest_add_data_func("/vfio-forward/pci/hotplug",
                            g_str_equal(arch, "aarch64") ? "virt" : "q35",
                            test_hotplug);
        if (g_str_equal(arch, "aarch64")) {
            add_cases("pci", pci_aarch64_cases,
                      ARRAY_SIZE(pci_aarch64_cases));
        } else if (g_str_equal(arch, "x86_64")) {
            add_cases("pci", pci_x86_64_cases, ARRAY_SIZE(pci_x86_64_cases));
        }
    }
    return g_test_run();
}
