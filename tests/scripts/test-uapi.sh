#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The proposed UAPI exists twice: in QEMU's linux-headers patch and in our
# reference kernel series.  The attribute numbers and struct
# kvm_vfio_dev_irq must be the same in both, or QEMU talks past the kernel.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

# The lines a patch adds to kvm.h that define the API, whitespace folded.
api() {
    awk '/^\+\+\+ /{ f = ($2 ~ /linux\/kvm\.h$/) } f && /^\+/' "$1" |
        sed 's/^+//; s/[[:space:]]\+/ /g; s/ *$//' |
        awk '/^#define KVM_DEV_VFIO_DEVICE/ { print; next }
             /^struct kvm_vfio_dev_irq/ { s = 1 }
             s { print } s && /^};/ { s = 0 }'
}

qemu_patch=$(ls "$top"/patches/*linux-headers-Add-the-proposed-kvm-vfio*.patch)
kernel_patch=$(grep -l '^+#define  *KVM_DEV_VFIO_DEVICE[[:space:]]' \
               "$top"/kernel/patches/*.patch | head -1)
q=$(api "$qemu_patch") k=$(api "$kernel_patch")
nq=$(grep -c '^#define KVM_DEV_VFIO_DEVICE' <<<"$q")
if [ "$nq" -eq 5 ] && grep -q '^struct kvm_vfio_dev_irq {' <<<"$q" &&
   [ "$q" = "$k" ]; then
    ok "the linux-headers patch and the kernel series define the same API ($nq constants, struct kvm_vfio_dev_irq)"
else
    nok "the linux-headers patch and the kernel series differ:"
    diff <(echo "$q") <(echo "$k") | sed 's/^/#   /'
fi

# And the numbers are the design note's (group 2 belongs to another
# proposal, so a move of both copies there must show too).
want="#define KVM_DEV_VFIO_DEVICE 3
#define KVM_DEV_VFIO_DEVICE_FORWARD_IRQ 1
#define KVM_DEV_VFIO_DEVICE_UNFORWARD_IRQ 2
#define KVM_DEV_VFIO_DEVICE_POST_IRQ 3
#define KVM_DEV_VFIO_DEVICE_UNPOST_IRQ 4"
# Revision 2 of the struct: a flags word after argsz, a signed fd.
fields=$(sed -n '/^struct kvm_vfio_dev_irq {/,/^};/s/^ *\(__[us]32\) \([a-z]*\(\[\]\)\?\);.*/\1 \2/p' <<<"$q" | tr '\n' ',')
if [ "$(grep '^#define' <<<"$q")" = "$want" ] &&
   [ "$fields" = "__u32 argsz,__u32 flags,__s32 fd,__u32 index,__u32 start,__u32 count,__u32 gsi[]," ]; then
    ok "the API is the design note's: group 3, attributes 1-4, struct kvm_vfio_dev_irq { $fields }"
else
    nok "the API is not the design note's: $(grep '^#define' <<<"$q" | tr '\n' '|') fields: $fields"
fi

# The check itself: a changed number must show.
t=$(mktemp)
trap 'rm -f "$t"' EXIT
sed 's/^\(+#define   KVM_DEV_VFIO_DEVICE_POST_IRQ[[:space:]]*\)3/\15/' \
    "$qemu_patch" > "$t"
if [ "$(api "$t")" != "$k" ]; then
    ok "a changed attribute number is told apart"
else
    nok "a changed attribute number went unnoticed"
fi
