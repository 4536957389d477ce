#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# L2's /init passes edu_irq.ko every parameter the module has (from the
# e2e.NAME= kernel arguments l1-e2e gives L2), and none it lacks: a
# parameter left out of /init would make a run silently test nothing
# (e.g. swap=, which l1-e2e only catches by its counts).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
mod=$(grep -o '^module_param([a-z_]*' "$top/scripts/rig/edu-irq/edu_irq.c" |
      sed 's/module_param(//' | sort)
init=$(sed -n '/^insmod \/edu_irq.ko/,/^[^ ]/p' "$top/scripts/rig/l2-init" |
       grep -o '[a-z_]*="\$(arg ' | sed 's/=.*//' | sort)
if [ -n "$mod" ] && [ "$mod" = "$init" ]; then
    ok "l2-init passes each of edu_irq's $(wc -l <<<"$mod") parameters, and only those"
else
    nok "edu_irq's parameters and l2-init's differ: $(diff <(echo "$mod") <(echo "$init") | grep '^[<>]' | tr '\n' ' ')"
fi
