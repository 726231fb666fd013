# SPDX-License-Identifier: MIT
# scripts/deps.sh — sourced by setup.sh and test.sh: installs the Debian
# packages the build and the tests need when they are missing.
GEFS_DEPS="cmake make gcc clang pkgconf python3 e2fsprogs uuid-dev libblkid-dev zlib1g-dev libarchive-dev libcunit1-dev libreadline-dev libclang-rt-14-dev"
# Optional test dependencies: the other file systems' tools
# cli.mkfs_safety formats over (it skips those that are missing), fdisk
# for sfdisk.  Installed when possible; a failure only warns.
GEFS_OPTDEPS="btrfs-progs xfsprogs dosfstools fdisk"

# The packages of list $1 that are not installed.
gefs_missing() {
	local missing="" p
	for p in $1; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	echo "$missing"
}

# apt-get install the packages $*.
gefs_apt() {
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "error: apt-get not found; install:$*" >&2
		return 1
	fi
	$sudo apt-get update -qq || return 1
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" || return 1
}

gefs_install_deps() {
	local missing opt
	missing=$(gefs_missing "$GEFS_DEPS")
	opt=$(gefs_missing "$GEFS_OPTDEPS")
	if [ -n "$missing" ]; then
		echo "installing missing Debian packages:$missing"
		gefs_apt $missing || return 1
	fi
	if [ -n "$opt" ]; then
		echo "installing optional test packages:$opt"
		gefs_apt $opt || echo "warning: could not install$opt; tests that need them are skipped" >&2
	fi
	return 0
}
