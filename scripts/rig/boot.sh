#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make rig": boot the emulated arm64 host (L1) under our own
# qemu-system-aarch64 (TCG, virtualization=on, GICv3 or v2, SMMUv3) with
# an edu device, and check that L1 has KVM and can pass edu through with
# VFIO.  RIG_GIC=2 for GICv2, RIG_GIC=4 for GICv4 (L1's KVM with
# kvm-arm.vgic_v4_enable=1: MSIs injected directly, as vLPIs).
# RIG_E2E=N adds the end-to-end runs of N interrupts each
# (scripts/rig/l1-e2e), RIG_SELFTEST=1 the run that must detect
# interrupts dropped on purpose.  RIG_PLATFORM=1 boots our own L1
# kernel (scripts/rig/kernel.sh: it has vfio-platform and our kvm-vfio
# forwarding series) with L0's PL031 made passable (scripts/rig/dtb.sh),
# runs our kernel API test and checks vfio-platform, then forwarded edu
# INTx (RIG_EDU=0: not edu; RIG_KDEBUG=1: our debug kernel, kernel.sh
# --debug, and four times the time; RIG_KSELFTEST=FILE: that build of the
# series' KVM selftest).  RIG_BENCH=ROUNDS: the runs of make bench instead; RIG_STRESS=K:
# the hot-unplug lifecycle run K times instead (RIG_UNPLUG_WAIT=irq: with
# the wait that raced, to reproduce it; RIG_QEMU_TRACE=P1+P2: QEMU trace
# events shown with each run); RIG_SHORT=1, 2 or 3: shorter sets of
# end-to-end runs (scripts/rig/l1-e2e); RIG_UPSTREAM_QEMU=BINARY (with
# RIG_STRACE_ROOT): the traced x-forward=off runs of make off-compare
# instead; RIG_FUZZ_SEED=S: the kernel API test's fuzz with that seed
# (the one a failed run printed); RIG_INSN=1: L0 counts the instructions
# of each run (scripts/rig/insn-window.c, split by exception level; its
# log beside the console's, insn-window-*.log), reported per delivered
# interrupt by scripts/rig/insn-report.py.  RIG_KTRACE=1: L1 traces
# the vgic's handling of the runs' IRQs, and a failed run shows the
# trace's end (scripts/rig/l1-e2e, our kernel).  Console log:
# build/rig/l1-console-gicv$RIG_GIC[-platform][-bench|-stress|-offcmp].log.
# RIG_ARCH=x86: the x86 rig instead (our qemu-system-x86_64 under TCG,
# q35 with an AMD SVM CPU, VT-d with interrupt remapping and edu; L1 is
# Debian 12's own kernel and runs our x86 build from the host's root,
# shared read-only over 9p; console log build/rig-x86/l1-console.log;
# RIG_LIFECYCLE=1 adds the lifecycle runs to the end-to-end runs;
# RIG_STRESS=K RIG_STRESS_SEQ="vtd-intx vtd-msi msix-unplug": those runs
# instead, K rounds, console log build/rig-x86/l1-console-stress.log).
set -euo pipefail
. "$(dirname "$0")/../common.sh"

# l0_run WHAT: boot L1 under L0 ($qemu "${machine[@]}", $kernel,
# $out/initramfs.gz, $append) with its console in $log, then check what it
# printed
l0_run() {
    note "booting L1 ($(basename "$kernel"), $1) under $qemu; console: $log"
    local start rc=0 secs
    start=$(date +%s)
    timeout "${RIG_TIMEOUT:-$(( ${e2e:+1500 +} 300 ))}" "$qemu" \
        "${machine[@]}" -nographic -no-reboot \
        -kernel "$kernel" -initrd "$out/initramfs.gz" -append "$append" \
        > "$log" 2>&1 || rc=$?
    secs=$(( $(date +%s) - start ))
    grep -a -E '^(RIG|E2E):|^KTEST: (not ok|Bail|# [0-9]+ of|# fuzz:)|^KSELFTEST: (not ok|Bail|# (FAILED|PASSED|Totals)|# .*: Test terminated)|^KREPORT:' "$log" | tr -d '\r' || true
    [ $rc -eq 0 ] || { tail -20 "$log" >&2; die "L1 did not power off cleanly (exit $rc, ${secs} s)"; }
    grep -aq -E '^(RIG|E2E): FAIL' "$log" && die "the rig's checks failed (${secs} s)"
    grep -aq '^RIG: done' "$log" || die "L1 stopped before its checks finished (${secs} s)"
    if [ -n "$e2e" ]; then
        grep -aq -E '^E2E: ok (round=[0-9]+ |lifecycle )?(gic|host)=' "$log" ||
            die "no end-to-end run reported (${secs} s)"
    fi
    note "rig ok ($1${e2e:+, end-to-end runs of $e2e interrupts}) in ${secs} s"
}

# The x86 rig (RIG_ARCH=x86).  No cross build: L1 runs our x86 QEMU from
# the host's root.  SeaBIOS stalls for about 32 s under TCG (upstream's
# too): L0 boots with qboot, Debian's qemu-system-data has it.
x86_boot() {
    [ -z "${RIG_BENCH:-}" ] && [ "${RIG_PLATFORM:-0}" != 1 ] ||
        die "RIG_ARCH=x86 has no bench or vfio-platform boot yet"
    # Its lifecycle runs take longer than the arm64 boots' timeout allows
    # under load (956 s at 200 interrupts a run, with a make check-full
    # beside it)
    RIG_TIMEOUT=${RIG_TIMEOUT:-3600}
    qemu=$OBJ/qemu-system-x86_64
    [ -x "$qemu" ] || die "$qemu is not built; run 'make'"
    cache=$("$TOP/scripts/rig/fetch.sh")
    [ -z "$e2e" ] || "$TOP/scripts/rig/edu-irq.sh"
    # L1 starts L2 through Debian's libvirt too (scripts/rig/l1-libvirt),
    # run from the host's root: the daemon and virsh, not the QEMU,
    # firmware and tools its Recommends would bring
    [ -z "$e2e" ] || NEED_NO_RECOMMENDS=1 need_tools \
        /usr/sbin/libvirtd:libvirt-daemon /usr/bin/virsh:libvirt-clients \
        /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so:libvirt-daemon-driver-qemu
    "$TOP/scripts/firmware.sh"
    out=$BUILD/rig-x86
    mkdir -p "$out"
    "$TOP/scripts/rig/mkinitramfs.sh" "$cache" "$out/initramfs.gz"
    kernel=$(ls "$cache"/kernel/boot/vmlinuz-*)
    # An NVMe controller too: the MSI-X device, driven in L2 by Linux's
    # own nvme driver (a sparse 16 MiB image, nothing written to it)
    rm -f "$out/nvme.img"
    truncate -s 16M "$out/nvme.img"
    machine=(-accel tcg -M q35,kernel-irqchip=split -cpu EPYC,+svm -smp 2 -m 3G
             -bios qboot.rom -device intel-iommu,intremap=on -device edu
             -drive if=none,id=nvm,file="$out/nvme.img",format=raw
             -device nvme,serial=qifrig,drive=nvm
             -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on)
    append="console=ttyS0 intel_iommu=on rdinit=/init panic=-1 quiet loglevel=4"
    append+=" rig.qemu=$qemu"
    [ -z "$e2e" ] || append+=" rig.e2e=$e2e rig.selftest=${RIG_SELFTEST:-0}"
    [ -z "${RIG_SHORT:-}" ] || append+=" rig.short=$RIG_SHORT"
    [ "${RIG_LIFECYCLE:-}" != 1 ] || append+=" rig.lifecycle=1"
    log=$out/l1-console.log
    # RIG_STRESS=K RIG_STRESS_SEQ="vtd-intx vtd-msi msix-unplug": those
    # runs, K rounds (scripts/rig/l1-e2e's stress), console log of its own
    if [ -n "${RIG_STRESS:-}" ]; then
        [ -n "$e2e" ] || die "RIG_STRESS needs RIG_E2E (interrupts a run)"
        [ -n "${RIG_STRESS_SEQ:-}" ] || die "RIG_ARCH=x86 RIG_STRESS needs RIG_STRESS_SEQ (vtd-intx, vtd-msi, msix-unplug)"
        append+=" rig.stress=$RIG_STRESS rig.stress_seq=${RIG_STRESS_SEQ// /+}"
        log=$out/l1-console-stress.log
    fi
    # make off-compare: upstream's x86 build, run from the host's root as
    # ours, and the host's strace (the runs: scripts/rig/l1-e2e's offcmp)
    if [ -n "${RIG_UPSTREAM_QEMU:-}" ]; then
        [ -n "$e2e" ] || die "RIG_UPSTREAM_QEMU needs RIG_E2E"
        [ -x "$RIG_UPSTREAM_QEMU" ] || die "RIG_UPSTREAM_QEMU=$RIG_UPSTREAM_QEMU is not a program"
        need_tools strace:strace
        append+=" rig.offcmp=1 rig.upstream_qemu=$RIG_UPSTREAM_QEMU"
        log=$out/l1-console-offcmp.log
    fi
    l0_run "x86, AMD SVM, VT-d"
}

gic=${RIG_GIC:-3}
e2e=${RIG_E2E:-}
if [ "${RIG_ARCH:-arm64}" = x86 ]; then
    x86_boot
    exit
fi
qemu=$OBJ/qemu-system-aarch64
[ -x "$qemu" ] || die "$qemu is not built; run 'make'"
cache=$("$TOP/scripts/rig/fetch.sh")
out=$BUILD/rig
mkdir -p "$out"
ktest= kselftest=
if [ "${RIG_PLATFORM:-}" = 1 ]; then
    if [ "${RIG_KDEBUG:-}" = 1 ]; then
        kernel=$("$TOP/scripts/rig/kernel.sh" --debug)
        # its L2 runs go at about a quarter of the normal boot's pace
        RIG_TIMEOUT=${RIG_TIMEOUT:-$(( 4 * (${e2e:+1500 +} 300) ))}
    else
        kernel=$("$TOP/scripts/rig/kernel.sh")
    fi
    # Our test program of the kernel's kvm-vfio forwarding API, built
    # against that kernel's UAPI headers.
    ktest=$out/kvm-vfio-forward-test
    need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
        /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross
    aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
        -I"$(dirname "$kernel")/usr/include" \
        "$TOP/kernel/tests/kvm-vfio-forward-test.c" -o "$ktest" ||
        die "kernel/tests/kvm-vfio-forward-test.c does not build"
    # the series' KVM selftest, built with the kernel (RIG_KSELFTEST: a
    # build of one's own, e.g. a new test on the kernel before its fix)
    kselftest=${RIG_KSELFTEST:-$(dirname "$kernel")/vfio_irq_forward}
    [ -f "$kselftest" ] && [[ $kselftest != *:* ]] ||
        die "${RIG_KSELFTEST:+RIG_KSELFTEST=}$kselftest: no such file, or a ':' in its path"
fi
"$TOP/scripts/rig/mkinitramfs.sh" "$cache" "$out/initramfs.gz" ${ktest:+"$ktest"} ${kselftest:+"$kselftest"}
machine=(-M virt,virtualization=on,gic-version="$gic",iommu=smmuv3
         -cpu max -smp 2 -m 3G -device edu,addr=2.0)
append="console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=4 rig.gic=$gic"
case $gic in
2|3) ;;
4) append+=" kvm-arm.vgic_v4_enable=1";;
*) die "RIG_GIC=$gic: not 2, 3 or 4";;
esac
suffix=
if [ -n "$e2e" ]; then
    append+=" rig.e2e=$e2e rig.selftest=${RIG_SELFTEST:-0}"
    case ${RIG_SHORT:-} in
    '') ;;
    1|2|3) append+=" rig.short=$RIG_SHORT";;
    *) die "RIG_SHORT=$RIG_SHORT: not 1, 2 or 3";;
    esac
    if [ -n "${RIG_BENCH:-}" ]; then     # scripts/rig/bench.sh
        append+=" rig.bench=$RIG_BENCH"
        suffix=-bench
    elif [ -n "${RIG_UPSTREAM_QEMU:-}" ]; then  # scripts/rig/off-compare.sh
        append+=" rig.offcmp=1"
        suffix=-offcmp
    elif [ -n "${RIG_STRESS:-}" ]; then  # scripts/rig/stress.sh
        append+=" rig.stress=$RIG_STRESS${RIG_UNPLUG_WAIT:+ rig.unplug_wait=$RIG_UNPLUG_WAIT}"
        append+="${RIG_STRESS_SEQ:+ rig.stress_seq=${RIG_STRESS_SEQ// /+}}"
        append+="${RIG_QEMU_TRACE:+ rig.qemu_trace=$RIG_QEMU_TRACE}"
        suffix=-stress
    fi
fi
if [ "${RIG_PLATFORM:-}" = 1 ]; then
    # A second PL011 for L2 (l1-e2e's UART runs), which L0 feeds from
    # /dev/zero as fast as it is read; the console stays on the first
    machine+=(-serial mon:stdio -serial chardev:uart1
              -chardev file,id=uart1,path=/dev/null,input-path=/dev/zero)
    "$TOP/scripts/rig/dtb.sh" "$out/l0-gicv$gic.dtb" "${machine[@]}"
    machine+=(-dtb "$out/l0-gicv$gic.dtb")
    # The PL031 has no reset function, which vfio-platform wants by
    # default; and it has no MSI domain, so VFIO cannot call its MSIs
    # isolated (it has no MSIs at all) and must be told that is fine.
    # (an RCU stall on a loaded TCG host is the host's: 60 s, not 21)
    append+=" rig.platform=1 rig.fwd=1 vfio_platform.reset_required=0 log_buf_len=4M"
    append+=" rcupdate.rcu_cpu_stall_timeout=60"
    append+=" vfio_iommu_type1.allow_unsafe_interrupts=1"
    suffix=-platform$suffix
    # RIG_EDU=0: the PL031 only, not edu's runs after it (make check's
    # GICv2 boot, for CI's time budget); a log of its own
    if [ "${RIG_EDU:-1}" != 1 ]; then
        append+=" rig.edu=0"
        suffix=${suffix/-platform/-pl031}
    else
        # A second edu, in slot 6: on the root bus its INTA swizzles to
        # the first's (slot 2, pinned above) host line, for the API test's shared-line
        # checks, which remove it again before edu's runs
        machine+=(-device edu,addr=6.0)
        # Two e1000s on one hub inside L0 (nothing leaves L0's process):
        # slot 3 goes to L2 (vfio-pci, INTx: Linux's e1000 has no MSI),
        # slot 4 is L1's own, the far end of l1-e2e's NIC runs
        machine+=(-netdev hubport,id=nic2,hubid=0
                  -device e1000,netdev=nic2,addr=3.0,romfile=,mac=52:54:00:12:34:02
                  -netdev hubport,id=nic1,hubid=0
                  -device e1000,netdev=nic1,addr=4.0,romfile=,mac=52:54:00:12:34:01)
    fi
    # RIG_THREADIRQS=1: L1 with threaded host IRQs (every handler that
    # may be run in a thread is), where a forwarded IRQ must neither be
    # masked for its thread nor storm; a log of its own
    if [ "${RIG_THREADIRQS:-}" = 1 ]; then
        append+=" threadirqs"
        suffix+=-threadirqs
    fi
    if [ "${RIG_KDEBUG:-}" = 1 ]; then
        append+=" rig.kdebug=1"
        suffix+=-kdebug
    fi
    case ${RIG_FUZZ_SEED:-} in
    '') ;;
    *[!0-9]*) die "RIG_FUZZ_SEED=$RIG_FUZZ_SEED: not a number";;
    *) append+=" rig.fuzzseed=$RIG_FUZZ_SEED";;
    esac
else
    [ "${RIG_KDEBUG:-}" != 1 ] || die "RIG_KDEBUG=1 needs RIG_PLATFORM=1 (our kernel)"
    [ -z "${RIG_KSELFTEST:-}" ] || die "RIG_KSELFTEST needs RIG_PLATFORM=1 (our kernel)"
    [ -z "${RIG_FUZZ_SEED:-}" ] || die "RIG_FUZZ_SEED needs RIG_PLATFORM=1 (our kernel)"
    [ "${RIG_KTRACE:-}" != 1 ] || die "RIG_KTRACE=1 needs RIG_PLATFORM=1 (our kernel)"
    kernel=$(ls "$cache"/kernel/boot/vmlinuz-*)
fi

log=$out/l1-console-gicv$gic$suffix.log
insn_log=
if [ "${RIG_INSN:-}" = 1 ]; then
    [ -n "$e2e" ] || die "RIG_INSN=1 needs RIG_E2E (it counts the runs' instructions)"
    insn_log=$out/insn-window-gicv$gic$suffix.log
    rm -f "$insn_log"
    machine+=(-plugin "$("$TOP/scripts/rig/insn-window.sh"),el=on" -d plugin -D "$insn_log")
    append+=" rig.insn=1"
fi
[ "${RIG_KTRACE:-}" != 1 ] || append+=" rig.ktrace=1"
l0_run "GICv$gic${suffix:+, vfio-platform}"
if [ -n "$insn_log" ]; then
    "$TOP/scripts/rig/insn-report.py" "$log" "$insn_log" ||
        die "instruction counts missing or out of order (logs: $log, $insn_log)"
fi
