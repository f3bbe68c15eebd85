#!/bin/bash
# check-pkictl: a private pkiksd (lab clock) in a temp dir, then the CUnit
# suite that drives pkictl and pkiks-keygen.  Run from the top of the tree.
set -euo pipefail
. tests/lib/keystore.sh

ks_twin_tmp --lab
# The permission test runs pkictl as nobody: it must reach the socket.
chmod 0711 "$KS_TMP"
PKIKS_QUIET=1 timeout 300 build/bin/test-pkictl "$KS_TMP" "$(pwd)/build"
