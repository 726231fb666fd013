# scripts/deps.sh — sourced by setup.sh and test.sh: installs the Debian
# packages the build and the tests need when they are missing.
GEFS_DEPS="cmake make gcc clang pkgconf python3 e2fsprogs uuid-dev libblkid-dev zlib1g-dev libarchive-dev libcunit1-dev libclang-rt-14-dev"

gefs_install_deps() {
	local missing="" p
	for p in $GEFS_DEPS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing missing Debian packages:$missing"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "error: apt-get not found; install:$missing" >&2
		return 1
	fi
	$sudo apt-get update -qq || return 1
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing || return 1
}
