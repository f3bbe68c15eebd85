#!/bin/bash
# Adds what bench-vm-scep (tests/vm/bench-scep.sh) needs to an initramfs
# tree made by mkinitramfs.sh, and makes it the VM's /tests.sh.
#   bench-scep-files.sh ROOT TOP
# pkid and its key generator, the keystore provider, scep-bench (the SCEP load generator) and
# timer-delay, with the libraries ldd names.
set -euo pipefail
root=$1 top=$2
bin=$top/build/bin

copy_with_libs() { # FILE DEST_DIR
	local lib
	mkdir -p "$root$2"
	install -m 755 "$1" "$root$2/$(basename "$1")"
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

for b in pkid pkiks-keygen scep-bench timer-delay; do
	copy_with_libs "$bin/$b" /bin
done
copy_with_libs "$top/build/pkiks-provider.so" /lib/pkid
install -m 755 "$top/tests/vm/bench-scep.sh" "$root/tests.sh"
