#!/bin/bash
# check-ntpwatch-vm: pkiks-ntpwatch against pkiks.ko in Debian's kernel
# under qemu, with the kernel's real NTP state (adjtimex) -- the one place
# a test may clear STA_UNSYNC and step the clock.
#
# It reuses the tests/vm harness without changing it: the harness's
# initramfs (tests/vm/mkinitramfs.sh), plus a second cpio archive appended
# to it (the kernel unpacks both, the later one winning) that adds
# pkiks-ntpwatch and timex-probe and replaces /tests.sh with
# tests/ntpwatch/vm-guest.sh.  The boot line is the harness's
# (tests/vm/run-vm.sh); a hung VM is killed after TIMEOUT_S.
#   vm-ntpwatch.sh [TIMEOUT_S]
set -euo pipefail
timeout_s=${1:-300}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kver=$(ls /lib/modules | sort -V | while read -r v; do
	[ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | tail -1)
[ -n "$kver" ] || { echo "vm-ntpwatch: no /boot/vmlinuz-* with modules" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$top/tests/vm/mkinitramfs.sh" "$work/base.gz" "$kver"

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
cat "$work/base.gz" "$work/overlay.gz" >"$work/initrd.gz"

log=${PKIKS_VM_LOG:-$work/serial.log}
start=$SECONDS
set +e
timeout --signal=KILL "$timeout_s" qemu-system-x86_64 -accel tcg -m 512M \
	-smp 2 -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 loglevel=4 vmtest=check" \
	</dev/null >"$log" 2>&1
rc=$?
set -e
tr -d '\r' <"$log" | grep -E '^(ok|not ok|    |PKIKS-VM-RESULT)' || true
result=$(tr -d '\r' <"$log" | grep '^PKIKS-VM-RESULT:' | tail -1 || true)
echo "vm-ntpwatch: kernel $kver, $((SECONDS - start)) s, qemu exit $rc"
if [ -z "$result" ]; then
	echo "vm-ntpwatch: no result line (VM hung, crashed or was killed); serial log tail:" >&2
	tr -d '\r' <"$log" | tail -40 >&2
	exit 1
fi
[[ $result == *PASS* ]]
