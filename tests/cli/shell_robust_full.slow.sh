#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_robust at length (label slow): 3,000 sweep images by default.
set -u
GEFS_ROBUST_CASES=${GEFS_ROBUST_CASES:-3000} GEFS_ROBUST_SEED=${GEFS_ROBUST_SEED:-23} \
	exec bash "$(dirname "$0")/shell_robust.sh"
