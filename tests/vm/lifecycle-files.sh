#!/bin/bash
# Adds what the lifecycle VM test (tests/vm/lifecycle.sh) needs to an
# initramfs tree made by mkinitramfs.sh, and makes it the VM's /tests.sh.
#   lifecycle-files.sh ROOT TOP [MODE]
# MODE hierarchy: tests/vm/hierarchy.sh is /tests.sh instead (three tiers
# on the module, check-vm-hierarchy), with curl for GetCACert.
# pkid, pkictl, pkiks-keygen, the keystore provider, pkiksd and lab-advance
# (the demo's lab clock), the demo that drives the lifecycle
# (tools/demo/demo.sh, lib.sh), and bash, jq and GNU date
# (which parses certificate dates) with the libraries ldd names.
set -euo pipefail
root=$1 top=$2 mode=${3:-lifecycle}

vmbin=${PKIKS_VM_BIN:-$top/build/bin}
provider=$(dirname "$vmbin")/pkiks-provider.so
# shellcheck source=tests/vm/libs.sh
. "$(dirname "$0")/libs.sh"
copy_with_libs() { vm_copy "$root" "$@"; } # FILE DEST_DIR

for b in pkid pkictl pkiks-keygen pkiksd lab-advance; do
	copy_with_libs "$vmbin/$b" /bin
done
copy_with_libs "$provider" /lib/pkid
# Real files win over busybox's applet links (busybox --install -s keeps them).
copy_with_libs "$(vm_prog bash)" /bin
copy_with_libs "$(vm_prog jq)" /bin
copy_with_libs "$(vm_prog date)" /bin
mkdir -p "$root/demo"
install -m 755 "$top/tools/demo/demo.sh" "$top/tools/demo/lib.sh" "$root/demo/"
if [ "$mode" = hierarchy ]; then
	copy_with_libs "$(vm_prog curl)" /bin
	install -m 755 "$top/tests/vm/hierarchy.sh" "$root/tests.sh"
else
	install -m 755 "$top/tests/vm/lifecycle.sh" "$root/tests.sh"
fi
