#!/bin/bash
# bench-provider: a private pkiksd in a temp dir, then the measurements.
set -euo pipefail
. tests/lib/keystore.sh

ks_twin_tmp --lab
PKIKS_QUIET=1 timeout 120 build/bin/bench-provider "$(pwd)/build"
