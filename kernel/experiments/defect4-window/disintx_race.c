// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Added at the end of tools/testing/selftests/kvm/aarch64/vfio_irq_forward.c
 * (kernel patch 13) for the experiment in README.md; not in the series yet.
 */
static void exp_intx_disable(struct fwd_dev *d, bool off)
{
	uint16_t cmd;

	TEST_ASSERT(pread(d->fd, &cmd, 2, d->config + PCI_COMMAND) == 2, "cfg rd");
	cmd = off ? (cmd | PCI_COMMAND_INTX_DISABLE) : (cmd & ~PCI_COMMAND_INTX_DISABLE);
	TEST_ASSERT(pwrite(d->fd, &cmd, 2, d->config + PCI_COMMAND) == 2, "cfg wr");
}

static void *exp_disabler(void *arg)
{
	exp_intx_disable(arg, true);
	return NULL;
}

/* An interrupt raised while the user's DisINTx write is in flight */
TEST_F_TIMEOUT(fwd, disintx_race, 120)
{
	struct vm_state *v = &self->vm;
	struct fwd_dev *d = &self->dev;
	struct timespec t = { .tv_nsec = 100 * 1000 * 1000 };
	pthread_t th;
	uint32_t intid;
	long before;
	int stage;

	if (!d->pci)
		SKIP(return, "PCI only");
	expect_stage(v, G_READY, NULL);
	before = host_irqs(d, NULL);
	pthread_create(&th, NULL, exp_disabler, d);
	nanosleep(&t, NULL);
	dev_raise(d);
	pthread_join(th, NULL);
	ksft_print_msg("EXP host IRQs during the DisINTx write: %ld\n",
		       host_irqs(d, NULL) - before);
	exp_intx_disable(d, false);
	stage = vcpu_stage_within(v, &intid, 5000);
	ksft_print_msg("EXP after DisINTx cleared: stage %d intid %u host %ld\n",
		       stage, intid, host_irqs(d, NULL) - before);
	if (stage != G_ACKED) {
		vgic_spi(v->vm);
		dump_irq(d);
	}
	TEST_ASSERT(stage == G_ACKED,
		    "EXP the interrupt raised in the window is lost (stage %d, vgic: %s)",
		    stage, spi_line);
	dev_lower(d);
	expect_stage(v, G_EOI, NULL);
	expect_stage(v, G_READY, NULL);
}
