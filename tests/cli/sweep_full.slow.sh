#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The full mutation sweep (label slow): 25 minutes by default, inside
# ctest's 30-minute TIMEOUT (a case running over 60 s is a failure).
set -euo pipefail
"$GEFS_BIN/gefs-sweep" --seconds "${GEFS_SWEEP_SECONDS:-1500}" --seed "${GEFS_SWEEP_SEED:-7}"
