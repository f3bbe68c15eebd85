#!/bin/bash
# Adds what the lifecycle VM test (tests/vm/lifecycle.sh) needs to an
# initramfs tree made by mkinitramfs.sh, and makes it the VM's /tests.sh.
#   lifecycle-files.sh ROOT TOP
# pkid, pkictl, pkiks-keygen, the keystore provider, pkiksd and lab-advance
# (the demo's lab clock), the demo that drives the lifecycle
# (tools/demo/demo.sh, lib.sh), and bash, jq and GNU date
# (which parses certificate dates) with the libraries ldd names.
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

for b in pkid pkictl pkiks-keygen pkiksd lab-advance; do
	copy_with_libs "$bin/$b" /bin
done
copy_with_libs "$top/build/pkiks-provider.so" /lib/pkid
# Real files win over busybox's applet links (busybox --install -s keeps them).
copy_with_libs "$(command -v bash)" /bin
copy_with_libs "$(command -v jq)" /bin
copy_with_libs "$(command -v date)" /bin
mkdir -p "$root/demo"
install -m 755 "$top/tools/demo/demo.sh" "$top/tools/demo/lib.sh" "$root/demo/"
install -m 755 "$top/tests/vm/lifecycle.sh" "$root/tests.sh"
