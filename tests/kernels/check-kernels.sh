#!/bin/bash
# make check-kernels: pkiks.ko across a small matrix of Debian kernels.
# For each kernel: a Debian tree made with mmdebstrap (cached in
# build/kernels/NAME/root, made once, never committed) holding the
# kernel's image, modules and headers; the module's DKMS source tree
# (kmod/tree.sh) built there with W=1, no warning allowed; then that
# kernel booted under qemu (TCG) with the check-vm harness in its
# "matrix" mode: the functional tests, the shared CUnit keystore suite,
# and the RSA-2048 signing bench.  Prints one table row per kernel.
#   check-kernels.sh [NAME...]     (default: every kernel of the matrix)
# $PKIKS_MIRROR overrides the Debian mirror (default: the host's apt one).
# Needs root (mmdebstrap and chroot), mmdebstrap and qemu-system-x86_64.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=$top/build/kernels
vm_timeout=${PKIKS_KERNELS_VM_TIMEOUT:-1200}

# NAME|SOURCES (suites, space-separated)|PACKAGES (apt names, space-separated)
matrix=(
	"deb12-6.1|bookworm|linux-image-amd64 linux-headers-amd64"
	"deb13-6.12|trixie|linux-image-amd64 linux-headers-amd64"
	"deb13-backports|trixie trixie-backports|linux-image-amd64/trixie-backports linux-headers-amd64/trixie-backports"
)

# The Debian mirror this host's apt uses.
. "$top/tests/lib/mirror.sh"
mirror=${PKIKS_MIRROR:-$(host_mirror)}

# What every tree needs besides the kernel: make, binutils (the headers
# of some kernels pull gcc without the plain `as` it runs), and perl with its
# modules (W=1 runs scripts/kernel-doc, which needs Pod::Usage).
TOOLS="make perl binutils"

# make_tree DIR SUITES PACKAGES: the Debian tree, made once.
make_tree() {
	local dir=$1 suites=$2 pkgs=$3 s first srcs=()
	[ -d "$dir/root/lib/modules" ] && return 0
	first=${suites%% *}
	for s in $suites; do srcs+=("deb $mirror $s main"); done
	rm -rf "$dir/root.tmp"
	mkdir -p "$dir"
	echo "check-kernels: mmdebstrap $suites ($pkgs) from $mirror"
	mmdebstrap --quiet --variant=apt --include="${TOOLS// /,},${pkgs// /,}" \
		"$first" "$dir/root.tmp" "${srcs[@]}" >"$dir/mmdebstrap.log" 2>&1 || {
		tail -30 "$dir/mmdebstrap.log" >&2
		return 1
	}
	mv "$dir/root.tmp" "$dir/root"
}

# in_tree ROOT CMD...: CMD chrooted in ROOT, with /dev and /proc, in a
# private mount namespace (the mounts vanish with it).
in_tree() {
	local root=$1
	shift
	unshare --mount --fork -- sh -c '
		root=$1; shift
		mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" &&
			exec chroot "$root" "$@"' sh "$root" "$@"
}

# tree_tools ROOT: installs what TOOLS lists and ROOT lacks (a tree
# cached before TOOLS grew), with apt inside the tree.
tree_tools() {
	local root=$1 p missing=()
	for p in $TOOLS; do
		in_tree "$root" dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
			grep -qx installed || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "check-kernels: installing ${missing[*]} in $root"
	in_tree "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' sh "${missing[@]}" \
		>"$root/../tools.log" 2>&1 || { tail -20 "$root/../tools.log" >&2; return 1; }
}

# Newest kernel of a tree that has image, modules and headers (the build
# link is absolute in some releases: resolved inside the tree).
tree_kver() {
	local root=$1 v
	for v in $(ls "$root/lib/modules" | sort -V); do
		if [ -f "$root/boot/vmlinuz-$v" ] &&
			in_tree "$root" test -d "/lib/modules/$v/build"; then
			echo "$v"
		fi
	done | tail -1
}

rows=()
failed=0
row() { rows+=("$(printf '%-16s %-22s %-10s %-12s %-12s %-10s %s' "$@")"); }

# check_kernel NAME SUITES PACKAGES
check_kernel() {
	local name=$1 dir=$cache/$1 root kver build=fail vm=- suite=- rsa=- ossl=- start=$SECONDS
	if ! make_tree "$dir" "$2" "$3"; then
		row "$name" "-" "no tree" - - - - ; failed=1; return
	fi
	root=$dir/root
	tree_tools "$root" || { row "$name" "-" "no tools" - - - -; failed=1; return; }
	kver=$(tree_kver "$root")
	[ -n "$kver" ] || { row "$name" "-" "no kernel" - - - -; failed=1; return; }
	# The DKMS source tree, built as DKMS would, with W=1.
	rm -rf "$root/usr/src/pkiks"
	"$top/kmod/tree.sh" "$root/usr/src/pkiks"
	if in_tree "$root" make -C "/lib/modules/$kver/build" M=/usr/src/pkiks W=1 modules \
		>"$dir/build.log" 2>&1 && ! grep -qi 'warning:' "$dir/build.log" &&
		[ -f "$root/usr/src/pkiks/pkiks.ko" ]; then
		build=ok
		cp "$root/usr/src/pkiks/pkiks.ko" "$dir/pkiks.ko"
	else
		echo "check-kernels: $name ($kver): the build failed or warned:" >&2
		grep -iE 'warning:|error:' "$dir/build.log" | head -20 >&2 || tail -20 "$dir/build.log" >&2
	fi
	if [ $build = ok ]; then
		vm=FAIL
		if PKIKS_VM_ROOT=$root PKIKS_VM_KVER=$kver PKIKS_VM_KO=$dir/pkiks.ko \
			PKIKS_VM_LOG=$dir/serial.log "$top/tests/vm/run-vm.sh" matrix "$vm_timeout" \
			>"$dir/vm.out" 2>&1; then
			vm=PASS
		fi
		vm="$vm $(sed -n 's/^PKIKS-VM-RESULT: [A-Z]* //p' "$dir/vm.out" | tail -1)"
		if grep -q '^ok - CUnit keystore suite' "$dir/vm.out"; then suite=pass
		elif grep -q '^not ok - CUnit keystore suite' "$dir/vm.out"; then suite=FAIL; fi
		rsa=$(sed -n 's/^BENCH threads=1 module=\([0-9.]*\)\/s.*/\1/p' "$dir/vm.out")
		ossl=$(sed -n 's/^BENCH threads=1 .*openssl=\([0-9.]*\)\/s.*/\1/p' "$dir/vm.out")
		[ "${vm%% *}" = PASS ] || { grep '^not ok' "$dir/vm.out" >&2 || tail -20 "$dir/vm.out" >&2; }
	fi
	[ $build = ok ] && [ "${vm%% *}" = PASS ] || failed=1
	row "$name" "$kver" "$build" "$vm" "$suite" "${rsa:--}" "${ossl:--} ($((SECONDS - start)) s)"
}

[ "$(id -u)" -eq 0 ] || { echo "check-kernels: needs root (mmdebstrap, chroot)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "check-kernels: no mmdebstrap; make deps" >&2; exit 1; }
want=("$@")
for entry in "${matrix[@]}"; do
	IFS='|' read -r name suites pkgs <<<"$entry"
	if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then continue; fi
	check_kernel "$name" "$suites" "$pkgs"
done
echo
printf '%-16s %-22s %-10s %-12s %-12s %-10s %s\n' kernel release "build W=1" "VM tests" \
	"CUnit suite" "RSA sign/s" "openssl sign/s (time)"
printf '%s\n' "${rows[@]}"
exit $failed
