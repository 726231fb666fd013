# SPDX-License-Identifier: MIT
# demo step: dump the superblocks, arenas, snapshots and the root of main
set -e
dump="$(dirname "$0")/../../build/gefs-dump"
"$dump" "$1" super
"$dump" "$1" arenas
"$dump" "$1" snaps
"$dump" "$1" ls -l main:/
