#!/bin/bash
# Adds what bench-vm-scep (tests/vm/bench-scep.sh) needs to an initramfs
# tree made by mkinitramfs.sh, and makes it the VM's /tests.sh.
#   bench-scep-files.sh ROOT TOP
# pkid and its key generator, the keystore provider, scep-bench (the SCEP load generator) and
# timer-delay, with the libraries ldd names.
set -euo pipefail
root=$1 top=$2

vmbin=${PKIKS_VM_BIN:-$top/build/bin}
provider=$(dirname "$vmbin")/pkiks-provider.so
# shellcheck source=tests/vm/libs.sh
. "$(dirname "$0")/libs.sh"
copy_with_libs() { vm_copy "$root" "$@"; } # FILE DEST_DIR

for b in pkid pkiks-keygen scep-bench timer-delay; do
	copy_with_libs "$vmbin/$b" /bin
done
copy_with_libs "$provider" /lib/pkid
install -m 755 "$top/tests/vm/bench-scep.sh" "$root/tests.sh"
