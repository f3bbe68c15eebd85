#!/bin/bash
# check-provider: a private pkiksd (lab clock) in a temp dir, then the CUnit
# suite against it.  Run from the top of the tree.
set -euo pipefail
. tests/lib/keystore.sh

ks_twin_tmp --lab
# The suite's own log lines and the CLI's go to the terminal; bounded run.
timeout 300 build/bin/test-provider "$KS_TMP" "$(pwd)/build"
