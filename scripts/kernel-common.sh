# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the scripts that handle the reference kernel series (sourced
# after common.sh, not run): the rig's kernel configuration (allnoconfig
# plus the options below, everything built in) and Debian's source as a
# git tree.

# The rig's kernel (scripts/rig/kernel.sh), L1's and L2's: the host's
# KVM, VFIO and SMMUv3, and what an L2 on QEMU's virt machine needs to
# run edu_irq.ko on a passed-through edu (INTx, MSI through the ITS or
# GICv2m, PCIe hotplug for the unplug runs) or PL031; the IRQ core's
# debugfs for the kselftest (vfio_irq_forward) to read an IRQ's state;
# TCP/IP and e1000 for the NIC runs (L1's NIC and L2's passed-through
# one); inotify for L1's blocking waits (scripts/rig/l2wait.c).  No tick
# on an idle CPU, as distributions build it (except L2 under Debian's L1
# kernel, booted with nohz=off: scripts/rig/l1-e2e), and 100 Hz on a
# busy one: a tick's instructions come with time, not with interrupts,
# and drift the bench's instruction counts (scripts/rig/insn-window.c).
# -OPT: OPT off (a choice's other value).
CONFIG=(
    PRINTK TTY ARM_AMBA SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE
    BLK_DEV_INITRD RD_GZIP DEVTMPFS DEVTMPFS_MOUNT PROC_FS SYSFS TMPFS
    BINFMT_ELF BINFMT_SCRIPT ARM_GIC ARM_GIC_V3 ARM_GIC_V3_ITS
    PCI PCI_HOST_GENERIC PCIEPORTBUS PCI_MSI SMP VIRTUALIZATION KVM
    VFIO VFIO_PCI VFIO_PLATFORM VFIO_AMBA VFIO_IOMMU_TYPE1 VFIO_GROUP
    VFIO_CONTAINER IOMMU_SUPPORT ARM_SMMU_V3 EVENTFD FUTEX EPOLL SIGNALFD
    TIMERFD SHMEM AIO POSIX_TIMERS FILE_LOCKING DEBUG_FS FTRACE KPROBES
    KPROBE_EVENTS NET UNIX PROC_SYSCTL HIGH_RES_TIMERS MULTIUSER EXPERT
    ARM_ARCH_TIMER ARM_GIC_V2M HOTPLUG_PCI HOTPLUG_PCI_PCIE MODULES MODULE_UNLOAD
    GENERIC_IRQ_DEBUGFS INET NETDEVICES ETHERNET NET_VENDOR_INTEL E1000
    INOTIFY_USER NO_HZ_IDLE HZ_100 -HZ_250
)

# l2_initramfs BUSYBOX KO OUT [MODS [TREE]]: the rig's L2 initramfs,
# made the same for the rigs (mkinitramfs.sh) and for the kernel's L2
# check (kernel.sh --l2): BUSYBOX, scripts/rig/l2-init as /init and KO as
# /edu_irq.ko, a gzip'd cpio in OUT; MODS: a directory of modules and
# their load order (its file order), as /lib/modules; TREE: a directory
# copied over the root (programs and their libraries)
l2_initramfs() {
    local root app
    root=$(mktemp -d)
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,lib/modules}
    cp "$1" "$root/bin/busybox"
    for app in sh mount echo cat grep insmod dmesg sleep poweroff tr dd awk sed head ip; do
        ln -sf busybox "$root/bin/$app"
    done
    install -m 755 "$TOP/scripts/rig/l2-init" "$root/init"
    cp "$2" "$root/edu_irq.ko"
    [ -z "${4:-}" ] || cp "$4"/* "$root/lib/modules/"
    [ -z "${5:-}" ] || cp -a "$5"/. "$root/"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$3"
    rm -rf "$root"
}

# The debug kernel's options on top (kernel.sh --debug; the rig's
# +kdebug boots): memory errors, locking, sleeping in atomic context,
# object lifetimes (work items, timers) and leaks are reported in L1's log.
DEBUG_CONFIG=(
    DEBUG_KERNEL KASAN KASAN_GENERIC PROVE_LOCKING DEBUG_ATOMIC_SLEEP
    DEBUG_OBJECTS DEBUG_OBJECTS_WORK DEBUG_OBJECTS_TIMERS
    DEBUG_OBJECTS_RCU_HEAD DEBUG_KMEMLEAK DEBUG_LIST
)

# kernel_make DIR: the make command line for the kernel tree DIR, into
# the array KMAKE, compiling through the ccache that QEMU's builds use:
# most objects are the same from one revision of the series to the next
# and between the rig's and the bisect's trees (paths relative to DIR).
kernel_make() {
    need_tools ccache:ccache
    export CCACHE_DIR=${CCACHE_DIR:-$QIF_CACHE/ccache} CCACHE_NOHASHDIR=1
    export CCACHE_BASEDIR
    CCACHE_BASEDIR=$(cd "$1" && pwd)
    KMAKE=(make -C "$1" -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
           CC="ccache aarch64-linux-gnu-gcc")
}

# kernel_config DIR [OPTION...]: write DIR/.config (allnoconfig, then the
# OPTIONs, by default CONFIG's), and KMAKE (kernel_make) for DIR; warns
# of an option that did not stay on (a dependency missing)
kernel_config() {
    local k opt dir=$1
    shift
    [ $# -gt 0 ] || set -- "${CONFIG[@]}"
    kernel_make "$dir"
    k=("${KMAKE[@]}")
    "${k[@]}" allnoconfig
    for opt; do
        case $opt in
        -*) "$dir/scripts/config" --file "$dir/.config" --disable "${opt#-}";;
        *) "$dir/scripts/config" --file "$dir/.config" --enable "$opt";;
        esac
    done
    "${k[@]}" olddefconfig
    for opt; do
        case $opt in
        -*) ! grep -qx "CONFIG_${opt#-}=y" "$dir/.config" || note "warning: CONFIG_${opt#-} did not stay off";;
        *) grep -qx "CONFIG_$opt=y" "$dir/.config" || note "warning: CONFIG_$opt did not stay on";;
        esac
    done
}

# kernel_git_tree DEB DIR: unpack Debian's linux-source-6.12 package DEB
# into DIR (made empty) as one git commit, named after DEB.  The first
# time, the commit is kept as a bare repository in $QIF_CACHE; later
# trees are local clones of it (hard-linked objects, no decompression
# and no hashing of 80,000 files).
kernel_git_tree() {
    local g=(git -C "$2" -c user.name=qif -c user.email=qif@localhost -c advice.addIgnoredFile=false)
    local cache
    cache=$QIF_CACHE/kernel-git/$(basename "$1" .deb).git
    rm -rf "$2"
    if [ -d "$cache" ] && git clone -q "$cache" "$2"; then
        "${g[@]}" remote remove origin
    else
        # A cache that cannot be cloned is made anew.
        [ ! -d "$cache" ] || { note "warning: $cache is broken; making it anew"; rm -rf "$cache"; }
        rm -rf "$2" "$cache".tmp.*
        mkdir -p "$2"
        dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards './usr/src/linux-source-6.12.tar.xz' |
            tar -xJ -C "$2" --strip-components=1
        "${g[@]}" init -q
        "${g[@]}" add -A -f
        "${g[@]}" commit -qm "$(basename "$1" .deb)"
        mkdir -p "$(dirname "$cache")"
        # Made aside and renamed: a run killed meanwhile leaves no half
        # cache (its leftover goes with the next one made), and of two
        # runs at once the second finds the first's in place (mv -T fails).
        git clone -q --bare "$2" "$cache.tmp.$$" &&
            mv -T "$cache.tmp.$$" "$cache" 2>/dev/null ||
            [ -d "$cache" ] || note "warning: could not keep the kernel tree in $cache"
        rm -rf "$cache.tmp.$$"
    fi
    # Debian's .gitignore ignores every top-level entry: track all the same.
    "${g[@]}" config advice.addIgnoredFile false
    # No background gc of the 80,000 loose objects after git am.
    "${g[@]}" config gc.auto 0
}

# kernel_series: sets patches (kernel/patches/, in order) and deb (Debian's
# linux-source-6.12 package, downloaded if not cached yet)
kernel_series() {
    shopt -s nullglob
    patches=("$TOP"/kernel/patches/*.patch)
    [ ${#patches[@]} -gt 0 ] || die "no patches in kernel/patches"
    deb=$("$TOP/scripts/rig/kernel.sh" --source-deb)
}
