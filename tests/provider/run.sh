#!/bin/bash
# check-provider: a private pkiksd (lab clock) in a temp dir, then the CUnit
# suite against it.  Run from the top of the tree.
set -euo pipefail
. tests/lib/keystore.sh

dir=$(mktemp -d)
cleanup() {
	ks_twin_stop || true
	rm -rf "$dir"
}
trap cleanup EXIT

ks_twin_start "$dir/ks" --lab
# The suite's own log lines and the CLI's go to the terminal; bounded run.
timeout 300 build/bin/test-provider "$dir" "$(pwd)/build"
