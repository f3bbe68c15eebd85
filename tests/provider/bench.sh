#!/bin/bash
# bench-provider: a private pkiksd in a temp dir, then the measurements.
set -euo pipefail
. tests/lib/keystore.sh

dir=$(mktemp -d)
cleanup() {
	ks_twin_stop || true
	rm -rf "$dir"
}
trap cleanup EXIT

ks_twin_start "$dir/ks" --lab
PKIKS_QUIET=1 timeout 120 build/bin/bench-provider "$(pwd)/build"
