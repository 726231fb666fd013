# SPDX-License-Identifier: MIT
# demo step: check the image (exit 0 = clean)
set -e
"$(dirname "$0")/../../build/gefs-fsck" -f -v "$1"
