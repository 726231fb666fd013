# SPDX-License-Identifier: MIT
# demo step: edit the image with gefs-replay (one atomic commit), then list it
set -e
top="$(dirname "$0")/../.."
script=$(mktemp "${TMPDIR:-/tmp}/gefs-demo-script.XXXXXX")
trap 'rm -f "$script"' EXIT
cat >"$script" <<S
mkdir -p /doc/gefs-progs
put -p $top/README /doc/gefs-progs/README
put -r $top/man /doc/gefs-progs/man
useradd demo
chown demo /doc/gefs-progs/README
S
echo "\$ gefs-replay -v IMAGE script"
"$top/build/gefs-replay" -v "$1" "$script"
echo "\$ gefs-shell -c 'ls -l -R /doc' IMAGE"
"$top/build/gefs-shell" -c 'ls -l -R /doc' "$1"
