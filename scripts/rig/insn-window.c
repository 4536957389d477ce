/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * insn-window: a TCG plugin for the rig's L0 that counts the guest
 * instructions all vCPUs execute between two markers the innermost
 * guest executes: HINT #120 opens a window, HINT #121 closes it.  The
 * architecture leaves both unallocated, so they run as NOPs everywhere
 * (under KVM in L1 too: L2's instructions are L0's vCPUs' instructions).
 * Every instruction counts, whatever its exception level: L2's, L1's
 * kernel and KVM's, L1's QEMU.  The closing vCPU's x0 is the window's
 * tag, so that a window can be told from the run it measured.
 *
 * Each close prints "insn-window: tag=T insns=N" through QEMU's log (-d
 * plugin), with "el0=A el1=B el2=C el3=D elx=E" after it under el=on:
 * the split by the exception level the instructions ran at (elx: of a
 * vCPU that started no block while the window was open, so that its
 * level was never read; 0 but for the instructions in flight at the
 * open).  A close without an
 * open, or an open while one is open (the latter restarts the window),
 * prints a line saying so, so that a lost marker cannot pass for a count.
 *
 * el=on costs a callback per translation block executed while a window
 * is open, none outside: it reads PSTATE there, and books the
 * instructions run since the vCPU's previous block to the level it read
 * then.  The level changes only by an exception or an exception return,
 * and both end a block, so the split is exact for the vCPU that marks;
 * for the others it is as exact as the total (below).
 *
 * Built, and checked on a guest of known counts, by
 * scripts/rig/insn-window.sh.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* HINT #imm: 0xd503201f with CRm:op2 = imm in bits 11:5 */
#define HINT(imm) (0xd503201fu | ((uint32_t)(imm) << 5))
#define MARK_OPEN 120
#define MARK_CLOSE 121
#define NO_EL 4         /* not known (yet): booked at the vCPU's next block */

typedef struct {
    uint64_t insns;     /* all executed, inline */
    uint64_t open;      /* 1 while a window is open (el=on's condition) */
    uint64_t booked;    /* insns when the last block started */
    uint64_t el;        /* the exception level that block runs at */
    uint64_t by_el[NO_EL + 1];  /* [NO_EL]: never known in the window */
} VCPUCount;

static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 insns, open_entry;
static bool split_el;
static struct qemu_plugin_register *reg_x0, *reg_cpsr;
static GMutex lock;
static bool window_open;
static uint64_t window_start;

static uint64_t read_reg(struct qemu_plugin_register *reg)
{
    /* per vCPU thread: read at every block while a window is open */
    static __thread GByteArray *buf;
    uint64_t v = 0;
    int len;

    if (!buf) {
        buf = g_byte_array_new();
    }
    g_byte_array_set_size(buf, 0);
    len = qemu_plugin_read_register(reg, buf);
    if (len > 0) {
        memcpy(&v, buf->data, MIN(len, (int)sizeof(v)));
    }
    return GUINT64_FROM_LE(v);
}

static uint64_t current_el(void)
{
    return (read_reg(reg_cpsr) >> 2) & 3;     /* PSTATE.EL */
}

/*
 * Book a vCPU's instructions since its last block to that block's level
 * (the level now, EL_NOW, where that was not known; NO_EL if neither is)
 */
static void book(VCPUCount *c, uint64_t el_now)
{
    uint64_t el = c->el == NO_EL ? el_now : c->el;

    c->by_el[el] += c->insns - c->booked;
    c->booked = c->insns;
    c->el = el_now;
}

static void on_block(unsigned int vcpu_index, void *udata)
{
    uint64_t el = current_el();

    g_mutex_lock(&lock);
    if (window_open) {
        book(qemu_plugin_scoreboard_find(counts, vcpu_index), el);
    }
    g_mutex_unlock(&lock);
}

static void window_begin(unsigned int vcpu_index)
{
    window_open = true;
    window_start = qemu_plugin_u64_sum(insns);
    if (!split_el) {
        return;
    }
    for (int i = 0; i < qemu_plugin_num_vcpus(); i++) {
        VCPUCount *c = qemu_plugin_scoreboard_find(counts, i);

        memset(c->by_el, 0, sizeof(c->by_el));
        c->booked = c->insns;
        c->el = i == vcpu_index ? current_el() : NO_EL;
        c->open = 1;
    }
}

static char *window_end(unsigned int vcpu_index)
{
    uint64_t by_el[NO_EL + 1] = { 0 };
    uint64_t total = qemu_plugin_u64_sum(insns) - window_start;
    uint64_t tag = read_reg(reg_x0);

    window_open = false;
    if (!split_el) {
        return g_strdup_printf("insn-window: tag=%" PRIu64 " insns=%" PRIu64
                               "\n", tag, total);
    }
    for (int i = 0; i < qemu_plugin_num_vcpus(); i++) {
        VCPUCount *c = qemu_plugin_scoreboard_find(counts, i);

        c->open = 0;
        /* the others' last block goes to the level it started at */
        book(c, i == vcpu_index ? current_el() : c->el);
        for (int el = 0; el <= NO_EL; el++) {
            by_el[el] += c->by_el[el];
        }
    }
    return g_strdup_printf("insn-window: tag=%" PRIu64 " insns=%" PRIu64
                           " el0=%" PRIu64 " el1=%" PRIu64 " el2=%" PRIu64
                           " el3=%" PRIu64 " elx=%" PRIu64 "\n", tag, total,
                           by_el[0], by_el[1], by_el[2], by_el[3],
                           by_el[NO_EL]);
}

static void on_mark(unsigned int vcpu_index, void *udata)
{
    g_autofree char *line = NULL;

    /*
     * Summed under the lock, so that marks on two vCPUs take their sums
     * in the order they take the lock.  The other vCPUs' counts are read
     * as they run: exact for the marking vCPU, within the instructions
     * in flight for the others.
     */
    g_mutex_lock(&lock);
    if (GPOINTER_TO_UINT(udata) == MARK_OPEN) {
        if (window_open) {
            line = g_strdup_printf("insn-window: open while open (vCPU %u)\n",
                                   vcpu_index);
        }
        window_begin(vcpu_index);
    } else if (window_open) {
        line = window_end(vcpu_index);
    } else {
        line = g_strdup_printf("insn-window: close without open (vCPU %u)\n",
                               vcpu_index);
    }
    g_mutex_unlock(&lock);
    if (line) {
        qemu_plugin_outs(line);
    }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    if (split_el) {
        qemu_plugin_register_vcpu_tb_exec_cond_cb(
            tb, on_block, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_NE,
            open_entry, 0, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t op;

        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
            insn, QEMU_PLUGIN_INLINE_ADD_U64, insns, 1);
        if (qemu_plugin_insn_data(insn, &op, sizeof(op)) != sizeof(op)) {
            continue;
        }
        op = GUINT32_FROM_LE(op);
        if (op == HINT(MARK_OPEN) || op == HINT(MARK_CLOSE)) {
            /*
             * The inline add comes first: a window counts its close
             * marker and not its open one.
             */
            qemu_plugin_register_vcpu_insn_exec_cb(
                insn, on_mark, QEMU_PLUGIN_CB_R_REGS,
                GUINT_TO_POINTER(op == HINT(MARK_OPEN) ? MARK_OPEN
                                                        : MARK_CLOSE));
        }
    }
}

/* Register handles are the same on every vCPU of a kind: take the first's */
static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    g_autoptr(GArray) regs = qemu_plugin_get_registers();

    g_mutex_lock(&lock);
    for (guint i = 0; i < regs->len && !(reg_x0 && reg_cpsr); i++) {
        qemu_plugin_reg_descriptor *r =
            &g_array_index(regs, qemu_plugin_reg_descriptor, i);

        if (!reg_x0 && !strcmp(r->name, "x0")) {
            reg_x0 = r->handle;
        } else if (!reg_cpsr && !strcmp(r->name, "cpsr")) {
            reg_cpsr = r->handle;
        }
    }
    g_mutex_unlock(&lock);
    if (!reg_x0 || !reg_cpsr) {
        qemu_plugin_outs("insn-window: no x0 or cpsr register to read\n");
        g_assert_not_reached();
    }
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
    qemu_plugin_scoreboard_free(counts);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!g_str_has_prefix(argv[i], "el=") ||
            !qemu_plugin_bool_parse("el", argv[i] + 3, &split_el)) {
            qemu_plugin_outs("insn-window: unknown argument (el=on|off)\n");
            return -1;
        }
    }
    if (g_strcmp0(info->target_name, "aarch64") != 0) {
        qemu_plugin_outs("insn-window: aarch64 only\n");
        return -1;
    }
    counts = qemu_plugin_scoreboard_new(sizeof(VCPUCount));
    insns = qemu_plugin_scoreboard_u64_in_struct(counts, VCPUCount, insns);
    open_entry = qemu_plugin_scoreboard_u64_in_struct(counts, VCPUCount, open);
    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
