# shellcheck shell=bash
# Sourced by the initramfs builders (mkinitramfs.sh, lifecycle-files.sh,
# bench-scep-files.sh): copy a program with every shared library it loads.
# The VM may run another architecture than the host (make check-arm64):
# then $PKIKS_VM_SYSROOT is a Debian tree of that architecture, the
# programs and their libraries come from it, and the libraries are found
# by reading the ELF files (readelf) instead of running them (ldd).
#   vm_copy ROOT FILE DEST_DIR   FILE and its libraries into the tree ROOT
#   vm_prog NAME                 a program of the VM's architecture (host
#                                 or sysroot), by name
# Bash only (arrays).

# vm_prog NAME: the path of NAME as the VM's architecture has it.
vm_prog() {
	local s=${PKIKS_VM_SYSROOT:-} d
	if [ -z "$s" ]; then
		command -v "$1"
		return
	fi
	for d in /usr/bin /bin /usr/sbin /sbin; do
		[ -x "$s$d/$1" ] && { echo "$s$d/$1"; return 0; }
	done
	echo "vm_prog: no $1 in $s" >&2
	return 1
}

# vm_sysroot_lib NAME: where the sysroot's loader would find library NAME
# (its path inside the sysroot), searched in the multiarch directories.
vm_sysroot_lib() {
	local s=$PKIKS_VM_SYSROOT d t=${PKIKS_VM_MULTIARCH:?PKIKS_VM_SYSROOT needs PKIKS_VM_MULTIARCH}
	for d in /lib/"$t" /usr/lib/"$t" /lib /usr/lib; do
		[ -e "$s$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	echo "vm_libs: $1 is not in $s" >&2
	return 1
}

# vm_libs FILE: the libraries FILE loads, and the dynamic loader, one
# path per line (paths as the VM sees them).
vm_libs() {
	if [ -z "${PKIKS_VM_SYSROOT:-}" ]; then
		ldd "$1" | grep -o '/[^ ]*'
		return 0
	fi
	local s=$PKIKS_VM_SYSROOT todo=("$1") seen=" " f n p i=0
	readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \([^]]*\)].*/\1/p'
	# Breadth-first over DT_NEEDED, each library once; bounded at 500 files
	# (pkid, the largest, loads about 40).
	while [ ${#todo[@]} -gt 0 ]; do
		i=$((i + 1))
		[ $i -le 500 ] || { echo "vm_libs: more than 500 libraries for $1" >&2; return 1; }
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case $seen in *" $n "*) continue ;; esac
			seen="$seen$n "
			p=$(vm_sysroot_lib "$n") || return 1
			echo "$p"
			todo+=("$s$p")
		done
	done
}

# vm_copy ROOT FILE DEST_DIR: FILE into ROOT/DEST_DIR, its libraries into
# ROOT at their own paths (a library already there is kept).
vm_copy() {
	local root=$1 file=$2 dest=$3 lib libs
	mkdir -p "$root$dest"
	install -m 755 "$file" "$root$dest/$(basename "$file")"
	libs=$(vm_libs "$file") || return 1
	for lib in $libs; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "${PKIKS_VM_SYSROOT:-}$lib" "$root$lib"
	done
}
