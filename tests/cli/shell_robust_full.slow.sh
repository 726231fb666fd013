#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_robust at length (label slow): 3,000 sweep images by default, and
# every entry of the fuzz corpus: the checked-in seeds and, when a fuzz run
# left one, build-fuzz's grown corpus (or GEFS_FUZZ_CORPUS's directories).
set -u
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
grown=$src/build-fuzz/tests/fuzz/corpus
[ -d "$grown" ] || grown=
GEFS_FUZZ_CORPUS=${GEFS_FUZZ_CORPUS:-$grown} GEFS_ROBUST_FUZZ=all \
GEFS_ROBUST_CASES=${GEFS_ROBUST_CASES:-3000} GEFS_ROBUST_SEED=${GEFS_ROBUST_SEED:-23} \
	exec bash "$(dirname "$0")/shell_robust.sh"
