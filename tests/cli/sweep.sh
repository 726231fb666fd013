#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The mutation sweep, bounded for the default run (GEFS_SWEEP_SECONDS,
# default 150 s per build): every metadata block kind of five builder
# images, corrupted and re-hashed, through every read path and the checker.
set -euo pipefail
"$GEFS_BIN/gefs-sweep" --seconds "${GEFS_SWEEP_SECONDS:-150}"
