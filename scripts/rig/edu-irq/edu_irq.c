// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * edu_irq: the rig's guest-side interrupt counter.  Binds QEMU's edu
 * device (1234:11e8, INTx or MSI) or an ARM PL031 RTC ("arm,pl031", its
 * level SPI) inside the L2 guest, makes it interrupt n times,
 * one at a time, and counts what arrives: requested, delivered, late
 * (delivered, but only after timeout_ms: a stall of the emulated host,
 * reported), lost (not even within grace_ms more; after three in a row
 * the rest count as lost too), and the elapsed time.
 *
 * Everything per interrupt is MMIO to the device (raise, status, ack)
 * and the interrupt controller's own acknowledge/EOI: no config-space
 * access (but with toggle=), so the round trip measured is interrupt
 * delivery, not PCI config emulation.
 * A PL031 raises its alarm at once when its count is loaded with the
 * value of its match register; clearing the interrupt lowers it.
 *
 * drop=K pretends every K-th interrupt never arrived (it is acked but
 * not counted): it exists to show that the loss check can fail.
 *
 * Route churn while interrupts flow: move=K moves the IRQ to the next
 * online CPU right after every K-th raise (the guest reprograms its MSI
 * or its interrupt controller's route with that interrupt in flight; on
 * x86 without interrupt remapping Linux applies the move only when it
 * acknowledges that interrupt);
 * toggle=K sets and clears INTx disable in the command register right
 * after every K-th raise (INTx only); toggler=1 has another CPU set and
 * clear INTx disable without pause for the whole run, so that the host
 * takes interrupts while the guest's disable is on its way to it (INTx
 * only; each one raised while INTx was enabled must still arrive).  The
 * result counts moves, toggles and the CPUs that handled interrupts, so a
 * run can show the churn took place.
 *
 * pair=1: two edu devices on one INTx line (a passed-through one and one
 * QEMU emulates, say): the first to probe waits for the second, whose
 * probe runs both at once, each from a CPU of its own where there are
 * two, so that one device raises while the other's interrupt is being
 * handled.  Each prints its own result, with its PCI name.  A PL031 and
 * an edu pair too (the PL031 probes first).
 *
 * Guest halts while an IRQ changes hands (pair=1, a PL031 and an edu):
 * swap=K switches edu between INTx and MSI after every K-th interrupt
 * (freeing and requesting its IRQ between interrupts: the VMM stops and
 * starts forwarding its INTx each time), and disabler=1 has a third
 * thread disable and enable the PL031's IRQ without pause meanwhile (a
 * GIC reads the active state at each disable: an ISACTIVER access the
 * hypervisor serves with the guest halted), while both devices
 * interrupt.  The result counts swaps, disables, and interrupts the
 * handler found nothing for ("spurious": a duplicate delivery, or the
 * guest's own resend of one taken while disabled).
 *
 * mark=T (arm64): the run, from its first raise to its last wait, between
 * HINT #120 and HINT #121 with x0 = T, the markers of L0's instruction
 * counter (scripts/rig/insn-window.c), so that the rig can count the
 * instructions every level executes per interrupt.  NOPs otherwise.
 * Not with pair=1, whose runs overlap.
 *
 * A PL031 alarm can fail to be raised at all: QEMU's model reads its
 * 1 Hz count twice on a load (to set the count, then to arm the alarm),
 * and when a second boundary falls in between, the alarm lands a second
 * past the match and never fires.  An interrupt still missing after
 * timeout_ms that the handler never saw and whose raw status is down was
 * not raised: it is raised again and counted "unraised", apart from
 * delivery losses.
 */
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/pci.h>
#include <linux/platform_device.h>

/* The x86 rig's kernel (Debian 12's 6.1) predates the name (Linux 6.9) */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

#define EDU_STATUS	0x24	/* interrupt status, RO */
#define EDU_RAISE	0x60	/* interrupt raise: status |= value */
#define EDU_ACK		0x64	/* interrupt acknowledge: status &= ~value */
#define EDU_BIT		0x1

#define PL031_MR	0x04	/* match */
#define PL031_LR	0x08	/* load: sets the count */
#define PL031_IMSC	0x10	/* interrupt mask set/clear */
#define PL031_RIS	0x14	/* raw interrupt status */
#define PL031_MIS	0x18	/* masked interrupt status */
#define PL031_ICR	0x1c	/* interrupt clear */
#define PL031_BIT	0x1
#define PL031_MATCH	0x5a5a5a5a

static unsigned int n = 1000;
module_param(n, uint, 0444);
MODULE_PARM_DESC(n, "interrupts to request");
static bool msi;
module_param(msi, bool, 0444);
MODULE_PARM_DESC(msi, "use MSI instead of INTx");
static unsigned int timeout_ms = 1000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "an interrupt not seen in this time is late");
static unsigned int grace_ms = 10000;
module_param(grace_ms, uint, 0444);
MODULE_PARM_DESC(grace_ms, "after timeout_ms, wait this much more before "
		 "calling an interrupt lost (it is then counted late)");
static unsigned int drop;
module_param(drop, uint, 0444);
MODULE_PARM_DESC(drop, "test the test: ignore every drop-th interrupt");
static unsigned int move;
module_param(move, uint, 0444);
MODULE_PARM_DESC(move, "move the IRQ to the next CPU after every move-th raise");
static unsigned int toggle;
module_param(toggle, uint, 0444);
MODULE_PARM_DESC(toggle, "toggle INTx disable after every toggle-th raise");
static bool toggler;
module_param(toggler, bool, 0444);
MODULE_PARM_DESC(toggler, "another CPU toggles INTx disable during the run (not with toggle=)");
static bool pair;
module_param(pair, bool, 0444);
MODULE_PARM_DESC(pair, "two devices (edu on one INTx line, or a PL031 and an edu): run both at once");
static unsigned int swap;
module_param(swap, uint, 0444);
MODULE_PARM_DESC(swap, "edu: switch between INTx and MSI after every swap-th interrupt");
static bool disabler;
module_param(disabler, bool, 0444);
MODULE_PARM_DESC(disabler, "pair=1: another thread disables and enables the first device's IRQ during the runs");
static unsigned int mark;
module_param(mark, uint, 0444);
MODULE_PARM_DESC(mark, "arm64: mark the run for L0's instruction counter, with this tag (0: no marks)");

struct edu_irq {
	void __iomem *bar;
	bool pl031;
	struct pci_dev *pdev;	/* NULL for the PL031 */
	int irq;
	bool msi;		/* edu: on MSI now (swap= changes it) */
	unsigned int swapped;
	atomic_t disabled;	/* disabler=1: disable_irq()s of this IRQ */
	atomic_t spurious;	/* handler calls with nothing raised */
	unsigned int cpu;	/* where move= sent the IRQ last */
	unsigned int moved;
	atomic_t toggled;
	unsigned long cpus;	/* bit c: CPU c handled one (c < BITS_PER_LONG) */
	struct completion done;
	struct completion ran;	/* pair=1: its run is over */
	struct completion toggler_up;	/* toggler=1: the toggler runs */
	atomic_t seen;		/* interrupts the handler claimed */
	atomic_t dropped;	/* of which ignored on purpose (drop=) */
};

static void edu_irq_raise(struct edu_irq *e)
{
	if (e->pl031)
		iowrite32(PL031_MATCH, e->bar + PL031_LR);
	else
		iowrite32(EDU_BIT, e->bar + EDU_RAISE);
}

static void edu_irq_lower(struct edu_irq *e)
{
	if (e->pl031)
		iowrite32(PL031_BIT, e->bar + PL031_ICR);
	else
		iowrite32(EDU_BIT, e->bar + EDU_ACK);
}

static bool edu_irq_pending(struct edu_irq *e)
{
	if (e->pl031)
		return ioread32(e->bar + PL031_MIS) & PL031_BIT;
	return ioread32(e->bar + EDU_STATUS) & EDU_BIT;
}

static irqreturn_t edu_irq_handler(int irq, void *opaque)
{
	struct edu_irq *e = opaque;
	int seen;

	/* INTx may be shared: claim only what the device raised. */
	if (!edu_irq_pending(e)) {
		atomic_inc(&e->spurious);
		return e->msi ? IRQ_HANDLED : IRQ_NONE;
	}
	edu_irq_lower(e);
	if (smp_processor_id() < BITS_PER_LONG)
		set_bit(smp_processor_id(), &e->cpus);
	seen = atomic_inc_return(&e->seen);
	if (drop && seen % drop == 0) {
		atomic_inc(&e->dropped);
		return IRQ_HANDLED;
	}
	complete(&e->done);
	return IRQ_HANDLED;
}

static bool edu_irq_wait(struct edu_irq *e, unsigned int ms)
{
	return wait_for_completion_timeout(&e->done, msecs_to_jiffies(ms));
}

/* move=: the next online CPU, as a write to /proc/irq/N/smp_affinity */
static void edu_irq_move(struct edu_irq *e)
{
	unsigned int cpu = cpumask_next(e->cpu, cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	if (!irq_set_affinity(e->irq, cpumask_of(cpu))) {
		e->cpu = cpu;
		e->moved++;
	}
}

/* After the raise: the interrupt is in flight while its route changes */
static void edu_irq_churn(struct edu_irq *e, unsigned int i)
{
	if (move && i % move == move - 1)
		edu_irq_move(e);
	if (toggle && e->pdev && !e->msi && i % toggle == toggle - 1) {
		pci_intx(e->pdev, 0);
		pci_intx(e->pdev, 1);
		atomic_inc(&e->toggled);
	}
}

/* toggler=1: INTx disable on and off as fast as config writes go */
static int edu_irq_toggler(void *opaque)
{
	struct edu_irq *e = opaque;

	complete(&e->toggler_up);
	while (!kthread_should_stop()) {
		pci_intx(e->pdev, 0);
		pci_intx(e->pdev, 1);
		atomic_inc(&e->toggled);
		cond_resched();
	}
	return 0;
}

/* On a CPU other than the run's, or none (the result says toggled=0) */
static struct task_struct *edu_irq_toggler_start(struct edu_irq *e)
{
	struct task_struct *t;
	unsigned int cpu;

	/* with toggle= too, two writers would race on the command register */
	if (!toggler || toggle || swap || !e->pdev || e->msi)
		return NULL;
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids)
		return NULL;
	t = kthread_create(edu_irq_toggler, e, "edu_irq_toggler");
	if (IS_ERR(t))
		return NULL;
	kthread_bind(t, cpu);
	init_completion(&e->toggler_up);
	wake_up_process(t);
	/*
	 * A run can end before another vCPU is scheduled at all (200
	 * interrupts in a quarter of a second): start once it toggles.
	 */
	wait_for_completion_timeout(&e->toggler_up, msecs_to_jiffies(5000));
	return t;
}

/* edu's vector (MSI or INTx as e->msi says) and its handler */
static int edu_irq_request(struct edu_irq *e)
{
	struct pci_dev *pdev = e->pdev;
	int ret = pci_alloc_irq_vectors(pdev, 1, 1,
					e->msi ? PCI_IRQ_MSI : PCI_IRQ_INTX);

	if (ret < 0)
		return dev_err_probe(&pdev->dev, ret, "no %s vector\n",
				     e->msi ? "MSI" : "INTx");
	e->irq = pci_irq_vector(pdev, 0);
	ret = devm_request_irq(&pdev->dev, e->irq, edu_irq_handler,
			       e->msi ? 0 : IRQF_SHARED, "edu_irq", e);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return dev_err_probe(&pdev->dev, ret, "irq %d\n", e->irq);
	}
	return 0;
}

/*
 * swap=: INTx to MSI or back, between interrupts.  Enabling MSI turns
 * the device's INTx off (the VMM unforwards it), disabling MSI turns it
 * on again (forwarded anew).
 */
static int edu_irq_swap(struct edu_irq *e)
{
	int ret;

	devm_free_irq(&e->pdev->dev, e->irq, e);
	pci_free_irq_vectors(e->pdev);
	e->msi = !e->msi;
	ret = edu_irq_request(e);
	if (ret)
		e->irq = 0;	/* none requested: nothing to free or swap */
	else
		e->swapped++;
	return ret;
}

/* mark=: HINT #120 opens L0's count, HINT #121 closes it, tagged by x0 */
static void edu_irq_mark(bool open)
{
#ifdef CONFIG_ARM64
	register unsigned long x0 asm("x0") = mark;

	if (!mark || pair)
		return;
	if (open)
		asm volatile("hint #120" : : : "memory");
	else
		asm volatile("hint #121" : : "r" (x0) : "memory");
#endif
}

static void edu_irq_run(struct edu_irq *e)
{
	unsigned int i, delivered = 0, late = 0, missed = 0, unraised = 0;
	ktime_t start = ktime_get();
	struct task_struct *t = edu_irq_toggler_start(e);
	s64 us;

	edu_irq_mark(true);
	for (i = 0; i < n; i++) {
		int seen = atomic_read(&e->seen);
		int dropped = atomic_read(&e->dropped);
		bool got;

		reinit_completion(&e->done);
		edu_irq_raise(e);
		edu_irq_churn(e, i);
		got = edu_irq_wait(e, timeout_ms);
		/*
		 * Never raised: the handler saw nothing (a dropped one, drop=,
		 * was seen) and the raw status is still down.
		 */
		if (!got && e->pl031 && atomic_read(&e->seen) == seen &&
		    !(ioread32(e->bar + PL031_RIS) & PL031_BIT)) {
			unraised++;
			edu_irq_raise(e);
			got = edu_irq_wait(e, timeout_ms);
		}
		/* One ignored on purpose (drop=) will not come late. */
		if (!got && grace_ms && atomic_read(&e->dropped) == dropped &&
		    edu_irq_wait(e, grace_ms)) {
			got = true;
			late++;
		}
		if (got) {
			delivered++;
			missed = 0;
			if (swap && e->pdev && delivered % swap == 0 &&
			    i + 1 < n) {
				if (edu_irq_swap(e))
					break;	/* no IRQ: the rest are lost */
			}
			continue;
		}
		/* Lower the line so that the next request starts clean. */
		edu_irq_lower(e);
		/* A dead path: do not wait n timeouts to say so. */
		if (++missed == 3)
			break;
	}
	edu_irq_mark(false);
	us = ktime_us_delta(ktime_get(), start);
	if (t)
		kthread_stop(t);	/* it leaves INTx enabled */
	/* End in the mode the run began in: the VMM's state is read after */
	if (e->pdev && e->irq && e->msi != msi && edu_irq_swap(e))
		pr_err("edu_irq: %s: no IRQ after the last swap\n",
		       pci_name(e->pdev));
	/* Parsed by the rig (scripts/rig/l1-e2e): keep the format. */
	pr_info("E2E-RESULT kind=%s requested=%u delivered=%u lost=%u late=%u seen=%d dropped=%d unraised=%u us=%lld moved=%u toggled=%u cpus=%u swapped=%u disabled=%d spurious=%d pci=%s\n",
		e->pl031 ? "spi" : e->msi ? "msi" : "intx", n, delivered,
		n - delivered, late,
		atomic_read(&e->seen), atomic_read(&e->dropped), unraised, us,
		e->moved, (unsigned int)atomic_read(&e->toggled),
		(unsigned int)hweight_long(e->cpus), e->swapped,
		atomic_read(&e->disabled), atomic_read(&e->spurious),
		e->pdev ? pci_name(e->pdev) : "-");
}

/* pair=1: the first device, until the second comes */
static struct edu_irq *pair_first;

/* disabler=1: lazy disable, then enable, of one IRQ without pause */
static int edu_irq_disabler(void *opaque)
{
	struct edu_irq *e = opaque;

	while (!kthread_should_stop()) {
		disable_irq(e->irq);
		enable_irq(e->irq);
		atomic_inc(&e->disabled);
		cond_resched();
	}
	return 0;
}

static int edu_irq_run_thread(void *opaque)
{
	struct edu_irq *e = opaque;

	edu_irq_run(e);
	complete(&e->ran);
	return 0;
}

/* pair=1: both runs at once, on CPUs 0 and 1 where both are online */
static void edu_irq_run_pair(struct edu_irq *a, struct edu_irq *b)
{
	struct edu_irq *e[2] = { a, b };
	struct task_struct *t, *d = NULL;
	int i;

	/*
	 * On CPU 0 with a's run, which mostly waits: not on b's CPU.  Only
	 * a PL031's IRQ, which is never freed (edu's may be, by swap=): the
	 * result then says disabled=0.
	 */
	if (disabler && a->pl031) {
		d = kthread_create(edu_irq_disabler, a, "edu_irq_disabler");
		if (IS_ERR(d)) {
			d = NULL;
		} else {
			kthread_bind(d, 0);
			wake_up_process(d);
		}
	}
	for (i = 0; i < 2; i++) {
		init_completion(&e[i]->ran);
		t = kthread_create(edu_irq_run_thread, e[i], "edu_irq_run/%d", i);
		if (IS_ERR(t)) {
			edu_irq_run_thread(e[i]);
			continue;
		}
		if (cpu_online(i))
			kthread_bind(t, i);
		wake_up_process(t);
	}
	wait_for_completion(&a->ran);
	wait_for_completion(&b->ran);
	if (d)
		kthread_stop(d);
}

/* pair=1: run now, or wait for the second device (its probe runs both) */
static void edu_irq_start(struct edu_irq *e)
{
	if (!pair) {
		edu_irq_run(e);
	} else if (!pair_first) {
		pair_first = e;
	} else {
		edu_irq_run_pair(pair_first, e);
		pair_first = NULL;
	}
}

static struct edu_irq *edu_irq_alloc(struct device *dev, bool pl031)
{
	struct edu_irq *e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);

	if (e) {
		init_completion(&e->done);
		e->pl031 = pl031;
		e->msi = msi && !pl031;
	}
	return e;
}

static int edu_irq_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_irq *e = edu_irq_alloc(&pdev->dev, false);
	int ret;

	if (!e)
		return -ENOMEM;

	/* Managed: the vectors and the IRQ go when the driver unbinds. */
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	e->bar = pcim_iomap(pdev, 0, 0);
	if (!e->bar)
		return -ENOMEM;
	/* An MSI is a memory write: without bus mastering it goes nowhere. */
	pci_set_master(pdev);
	e->pdev = pdev;
	ret = edu_irq_request(e);
	if (ret)
		return ret;

	/*
	 * Stay bound afterwards, the vector enabled, so that the host can
	 * still read the state of the IRQ the test used.
	 */
	edu_irq_start(e);
	return 0;
}

static const struct pci_device_id edu_irq_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_irq_ids);

static struct pci_driver edu_irq_driver = {
	.name = "edu_irq",
	.id_table = edu_irq_ids,
	.probe = edu_irq_probe,
};

static int edu_irq_pl031_probe(struct platform_device *pdev)
{
	struct edu_irq *e = edu_irq_alloc(&pdev->dev, true);
	int ret, irq;

	if (!e)
		return -ENOMEM;
	e->bar = devm_platform_ioremap_resource(pdev, 0);
	if (IS_ERR(e->bar))
		return PTR_ERR(e->bar);
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;

	iowrite32(0, e->bar + PL031_IMSC);
	iowrite32(PL031_BIT, e->bar + PL031_ICR);
	iowrite32(PL031_MATCH, e->bar + PL031_MR);
	iowrite32(PL031_BIT, e->bar + PL031_ICR);
	ret = devm_request_irq(&pdev->dev, irq, edu_irq_handler, 0, "edu_irq",
			       e);
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "irq %d\n", irq);
	e->irq = irq;
	iowrite32(PL031_BIT, e->bar + PL031_IMSC);

	edu_irq_start(e);
	return 0;
}

static const struct of_device_id edu_irq_pl031_ids[] = {
	{ .compatible = "arm,pl031" },
	{ }
};
MODULE_DEVICE_TABLE(of, edu_irq_pl031_ids);

static struct platform_driver edu_irq_pl031_driver = {
	.driver = {
		.name = "edu_irq_pl031",
		.of_match_table = edu_irq_pl031_ids,
	},
	.probe = edu_irq_pl031_probe,
};

static int __init edu_irq_init(void)
{
	int ret = platform_driver_register(&edu_irq_pl031_driver);

	if (ret)
		return ret;
	ret = pci_register_driver(&edu_irq_driver);
	if (ret)
		platform_driver_unregister(&edu_irq_pl031_driver);
	return ret;
}
module_init(edu_irq_init);

static void __exit edu_irq_exit(void)
{
	pci_unregister_driver(&edu_irq_driver);
	platform_driver_unregister(&edu_irq_pl031_driver);
}
module_exit(edu_irq_exit);

MODULE_DESCRIPTION("Interrupt delivery counter for QEMU's edu device and the PL031");
MODULE_LICENSE("GPL");
