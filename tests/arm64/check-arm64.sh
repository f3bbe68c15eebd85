#!/bin/bash
# make check-arm64: pkid, its tools and pkiks.ko for arm64, tested in
# Debian 12's arm64 kernel under qemu-system-aarch64 (TCG), and the arm64
# Debian packages installed in an arm64 tree.
#  1. tree     build/arm64/root, a Debian 12 arm64 tree (tests/arm64/tree.sh,
#              made once with mmdebstrap; needs qemu-user-static's binfmt)
#  2. build    pkid, pkictl, pkiksd, pkiks-keygen, pkiks-kek, pkiks-ntpwatch,
#              the OpenSSL provider and the VM's test programs, cross-compiled
#              (tests/arm64/cross-make.sh, build/arm64/); file(1) must say
#              "ARM aarch64" of each
#  2b. rsa, ec the module's RSA and EC (check-kmod-rsa's and check-kmod-ec's
#              programs) for arm64, run under qemu-aarch64: byte for byte
#              equal to arm64 OpenSSL
#  3. module   the DKMS source tree built with W=1 against the tree's
#              kernel headers by the cross compiler (no warning allowed); the
#              headers' own kbuild helpers are arm64 programs and run through
#              binfmt with the tree as their library root (QEMU_LD_PREFIX)
#  4. VM       that kernel in qemu-system-aarch64 -M virt -cpu max with the
#              check-vm harness in its "matrix" mode (functional checks, the
#              shared CUnit keystore suite, the RSA-2048 signing bench)
#  5. enroll   a second boot: pkid's CA and a client trustpoint on the
#              module, on loopback, through one enrollment (tools/demo/demo.sh
#              --cycles 0 in tests/vm/lifecycle.sh's "enroll" mode)
#  6. debs     `make deb ARCH=arm64` (build/deb-arm64), their contents and
#              file(1), then apt installs them in a throwaway overlay of the
#              tree (chroot, binfmt): DKMS builds pkiks.ko for the tree's
#              kernel, and the installed pkid, pkictl and pkiksd run
# Prints a table.  Logs in build/arm64/ (build.log, kmod.log, vm-*.out,
# serial-*.log, debs.log).  Needs root (mmdebstrap, chroot, mounts).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/build/arm64
triplet=aarch64-linux-gnu
# The bound of each VM: about 4.5 times the longest boot measured (the
# matrix mode, 128 s on the 2-core build machine under load).  Override with
# PKIKS_ARM64_VM_TIMEOUT.
vm_timeout=${PKIKS_ARM64_VM_TIMEOUT:-600}

[ "$(id -u)" -eq 0 ] || { echo "check-arm64: needs root (mmdebstrap, chroot)" >&2; exit 1; }
"$top/packaging/deps.sh" arm64
# binfmt_misc may not be mounted where no service did it (a container).
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
	mountpoint -q /proc/sys/fs/binfmt_misc ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
	update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
tree=$("$top/tests/arm64/tree.sh" "$dir")

rows=()
failed=0
step() { # NAME RESULT DETAIL
	rows+=("$(printf '%-10s %-6s %s' "$1" "$2" "$3")")
	[ "$2" = ok ] || failed=1
	echo "check-arm64: $1: $2 $3"
}
t0=$SECONDS
since() { echo "$((SECONDS - $1)) s"; }

# Newest kernel of the tree with an image and headers.
kver=$(ls "$tree/lib/modules" | sort -V | while read -r v; do
	[ -f "$tree/boot/vmlinuz-$v" ] && [ -d "$tree/usr/src/linux-headers-$v" ] && echo "$v"
done | tail -1)
[ -n "$kver" ] || { echo "check-arm64: no arm64 kernel with headers in $tree" >&2; exit 1; }
echo "check-arm64: tree $tree, kernel $kver"

# --- 2. userspace, cross-compiled
BINS=(pkid pkictl pkiksd pkiks-keygen pkiks-kek pkiks-ntpwatch lab-advance
	pkiks-vmtest test-keystore kmod-rsa-test kmod-ec-test)
build_userspace() {
	local b bad=()
	"$top/tests/arm64/cross-make.sh" "$tree" "${BINS[@]/#/build/arm64/bin/}" \
		build/arm64/pkiks-provider.so >"$dir/build.log" 2>&1 || {
		grep -E 'error|Error' "$dir/build.log" | head -20 >&2
		return 1
	}
	for b in "${BINS[@]/#/$dir/bin/}" "$dir/pkiks-provider.so"; do
		file -L "$b" | grep -q 'ELF 64-bit LSB .*ARM aarch64' || bad+=("$(file -L "$b")")
	done
	[ ${#bad[@]} -eq 0 ] || { printf 'check-arm64: not arm64: %s\n' "${bad[@]}" >&2; return 1; }
}
s=$SECONDS
if build_userspace; then
	step build ok "${#BINS[@]} programs + provider, ELF aarch64 ($(since $s))"
else
	step build FAIL "see build/arm64/build.log"
fi

# --- 2b. the module's RSA and EC, compiled for arm64 in userspace
# (check-kmod-rsa's and check-kmod-ec's programs) and run under
# qemu-aarch64 (binfmt): results compared byte for byte with the tree's
# arm64 OpenSSL.
for alg in rsa ec; do
	s=$SECONDS
	if [ -x "$dir/bin/kmod-$alg-test" ] &&
		QEMU_LD_PREFIX=$tree "$dir/bin/kmod-$alg-test" 5 >"$dir/$alg.log" 2>&1; then
		step "$alg" ok "check-kmod-$alg's comparison with OpenSSL, arm64 code under qemu-aarch64: $(tail -1 "$dir/$alg.log") ($(since $s))"
	else
		tail -5 "$dir/$alg.log" >&2 || true
		step "$alg" FAIL "see build/arm64/$alg.log"
	fi
done

# --- 3. the module, the DKMS tree, W=1, cross
# Debian's headers/<flavour>/Makefile includes the common part by its
# absolute path (/usr/src/...-common/Makefile, the host's /usr/src here):
# make reads that one from the tree with -f instead.  CC comes from the
# headers: $(CROSS_COMPILE)gcc-12, the kernel's own compiler version.
build_module() {
	local m=$dir/kmod kdir=$tree/usr/src/linux-headers-$kver common
	common=$(sed -n 's,^include /usr/src/\([^/]*\)/Makefile$,\1,p' "$kdir/Makefile")
	[ -n "$common" ] && [ -f "$tree/usr/src/$common/Makefile" ] ||
		{ echo "check-arm64: $kdir/Makefile includes no common Makefile" >&2; return 1; }
	rm -rf "$m"
	"$top/kmod/tree.sh" "$m"
	QEMU_LD_PREFIX=$tree make -C "$kdir" -f "$tree/usr/src/$common/Makefile" ARCH=arm64 \
		CROSS_COMPILE=$triplet- M="$m" W=1 modules >"$dir/kmod.log" 2>&1 || {
		tail -20 "$dir/kmod.log" >&2
		return 1
	}
	if grep -i 'warning:' "$dir/kmod.log" >&2; then return 1; fi
	file "$m/pkiks.ko" | grep -q 'ELF 64-bit LSB relocatable, ARM aarch64'
}
s=$SECONDS
ko=-
if build_module; then
	ko=$dir/kmod/pkiks.ko
	step module ok "pkiks.ko for $kver, W=1, no warning ($(since $s))"
else
	step module FAIL "see build/arm64/kmod.log"
fi

# --- 4 and 5. the VMs
vm() { # MODE: run-vm.sh with the tree's kernel, the arm64 programs, pkiks.ko
	PKIKS_VM_ARCH=arm64 PKIKS_VM_ROOT=$tree PKIKS_VM_SYSROOT=$tree \
		PKIKS_VM_MULTIARCH=$triplet PKIKS_VM_BIN=$dir/bin PKIKS_VM_KVER=$kver \
		PKIKS_VM_KO=$ko PKIKS_VM_LOG=$dir/serial-$1.log \
		"$top/tests/vm/run-vm.sh" "$1" "$vm_timeout" >"$dir/vm-$1.out" 2>&1
}
vm_result() { sed -n 's/^PKIKS-VM-RESULT: [A-Z]* //p' "$dir/vm-$1.out" | tail -1; }
rsa=- ossl=- suite=-
if [ "$ko" != - ] && [ -x "$dir/bin/test-keystore" ]; then
	s=$SECONDS
	if vm matrix; then r=ok; else r=FAIL; grep '^not ok' "$dir/vm-matrix.out" >&2 || tail -20 "$dir/vm-matrix.out" >&2; fi
	grep -q '^ok - CUnit keystore suite' "$dir/vm-matrix.out" && suite=pass || suite=FAIL
	rsa=$(sed -n 's/^BENCH threads=1 module=\([0-9.]*\)\/s.*/\1/p' "$dir/vm-matrix.out")
	ossl=$(sed -n 's/^BENCH threads=1 .*openssl=\([0-9.]*\)\/s.*/\1/p' "$dir/vm-matrix.out")
	step vm "$r" "checks $(vm_result matrix), CUnit suite $suite, RSA-2048 signs/s ${rsa:--} (OpenSSL ${ossl:--}) ($(since $s))"
	s=$SECONDS
	if vm enroll; then r=ok; else r=FAIL; grep -E '^(not ok|    )' "$dir/vm-enroll.out" >&2 || tail -20 "$dir/vm-enroll.out" >&2; fi
	step enroll "$r" "CA + one enrollment on loopback, $(vm_result enroll) checks ($(since $s))"
else
	step vm FAIL "not run: no module or programs"
	step enroll FAIL "not run: no module or programs"
fi

# --- 6. the Debian packages
s=$SECONDS
if "$top/tests/arm64/debs.sh" "$tree" "$kver" >"$dir/debs.log" 2>&1; then
	step debs ok "$(tail -1 "$dir/debs.log") ($(since $s))"
else
	tail -20 "$dir/debs.log" >&2
	step debs FAIL "see build/arm64/debs.log"
fi

echo
echo "check-arm64: Debian 12 arm64, kernel $kver, qemu-system-aarch64 -accel tcg -M virt -cpu max, $(since $t0)"
printf '%-10s %-6s %s\n' step result detail
printf '%s\n' "${rows[@]}"
printf '\n%-22s %-8s %-8s %-12s %-10s %s\n' "kernel/arch" build module "CUnit suite" enrollment "RSA-2048 signs/s in the VM (OpenSSL)"
printf '%-22s %-8s %-8s %-12s %-10s %s\n' "$kver" \
	"$(grep -q '^build  *ok' <(printf '%s\n' "${rows[@]}") && echo ok || echo FAIL)" \
	"$([ "$ko" != - ] && echo ok || echo FAIL)" "$suite" \
	"$(grep -q '^enroll  *ok' <(printf '%s\n' "${rows[@]}") && echo pass || echo FAIL)" \
	"${rsa:--} (${ossl:--})"
exit $failed
