#!/usr/bin/env bash
# The full mutation sweep (label slow): 30 minutes by default.
set -euo pipefail
"$GEFS_BIN/gefs-sweep" --seconds "${GEFS_SWEEP_SECONDS:-1800}" --seed "${GEFS_SWEEP_SEED:-7}"
