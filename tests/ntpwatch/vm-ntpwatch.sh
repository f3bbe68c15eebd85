#!/bin/bash
# check-ntpwatch-vm: pkiks-ntpwatch against pkiks.ko in Debian's kernel
# under qemu, with the kernel's real NTP state (adjtimex) -- the one place
# a test may clear STA_UNSYNC and step the clock.
#
# It boots through the tests/vm harness (tests/vm/run-vm.sh check) with an
# overlay archive ($PKIKS_VM_OVERLAY) that adds pkiks-ntpwatch and
# timex-probe and replaces /tests.sh with tests/ntpwatch/vm-guest.sh; a
# hung VM is killed after TIMEOUT_S.
#   vm-ntpwatch.sh [TIMEOUT_S]
set -euo pipefail
timeout_s=${1:-300}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The overlay: our binaries with their libraries, and our /tests.sh.
ov=$work/overlay
mkdir -p "$ov/bin"
for bin in "$top/build/bin/pkiks-ntpwatch" "$top/build/bin/timex-probe"; do
	install -m 755 "$bin" "$ov/bin/"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$ov$(dirname "$lib")"
		cp -L "$lib" "$ov$lib"
	done
done
install -m 755 "$here/vm-guest.sh" "$ov/tests.sh"
(cd "$ov" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/overlay.gz"

PKIKS_VM_OVERLAY=$work/overlay.gz "$top/tests/vm/run-vm.sh" check "$timeout_s"
