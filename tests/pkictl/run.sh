#!/bin/bash
# check-pkictl: a private pkiksd (lab clock) in a temp dir, then the CUnit
# suite that drives pkictl and pkiks-keygen.  Run from the top of the tree.
set -euo pipefail
. tests/lib/keystore.sh

dir=$(mktemp -d)
cleanup() {
	ks_twin_stop || true
	rm -rf "$dir"
}
trap cleanup EXIT
# The permission test runs pkictl as nobody: it must reach the socket.
chmod 0711 "$dir"

ks_twin_start "$dir/ks" --lab
PKIKS_QUIET=1 timeout 300 build/bin/test-pkictl "$dir" "$(pwd)/build"
