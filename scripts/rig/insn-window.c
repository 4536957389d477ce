/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * insn-window: a TCG plugin for the rig's L0 that counts the guest
 * instructions all vCPUs execute between two markers the innermost
 * guest executes: HINT #120 opens a window, HINT #121 closes it.  The
 * architecture leaves both unallocated, so they run as NOPs everywhere
 * (under KVM in L1 too: L2's instructions are L0's vCPUs' instructions).
 * Every instruction counts, whatever its exception level: L2's, L1's
 * kernel and KVM's, L1's QEMU.
 *
 * Each close prints "insn-window: N insns" through QEMU's log (-d
 * plugin).  A close without an open, or an open while one is open
 * (the latter restarts the window), prints a line saying so, so that a
 * lost marker cannot pass for a count.
 *
 * Built, and checked on a guest of known counts, by
 * scripts/rig/insn-window.sh.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdint.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* HINT #imm: 0xd503201f with CRm:op2 = imm in bits 11:5 */
#define HINT(imm) (0xd503201fu | ((uint32_t)(imm) << 5))
#define MARK_OPEN 120
#define MARK_CLOSE 121

static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 insns;
static GMutex lock;
static bool window_open;
static uint64_t window_start;

static void on_mark(unsigned int vcpu_index, void *udata)
{
    g_autofree char *line = NULL;
    uint64_t now;

    /*
     * Summed under the lock, so that marks on two vCPUs take their sums
     * in the order they take the lock.  The other vCPUs' counts are read
     * as they run: exact for the marking vCPU, within the instructions
     * in flight for the others.
     */
    g_mutex_lock(&lock);
    now = qemu_plugin_u64_sum(insns);
    if (GPOINTER_TO_UINT(udata) == MARK_OPEN) {
        if (window_open) {
            line = g_strdup_printf("insn-window: open while open (vCPU %u)\n",
                                   vcpu_index);
        }
        window_open = true;
        window_start = now;
    } else if (window_open) {
        line = g_strdup_printf("insn-window: %" PRIu64 " insns\n",
                               now - window_start);
        window_open = false;
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
                insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
                GUINT_TO_POINTER(op == HINT(MARK_OPEN) ? MARK_OPEN
                                                        : MARK_CLOSE));
        }
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
    if (g_strcmp0(info->target_name, "aarch64") != 0) {
        qemu_plugin_outs("insn-window: aarch64 only\n");
        return -1;
    }
    counts = qemu_plugin_scoreboard_new(sizeof(uint64_t));
    insns = qemu_plugin_scoreboard_u64(counts);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
