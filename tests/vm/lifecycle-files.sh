#!/bin/bash
# Adds what the lifecycle VM test (tests/vm/lifecycle.sh) needs to an
# initramfs tree made by mkinitramfs.sh, and makes it the VM's /tests.sh.
#   lifecycle-files.sh ROOT TOP [MODE]
# MODE hierarchy: tests/vm/hierarchy.sh is /tests.sh instead (three tiers
# on the module, check-vm-hierarchy), with curl for GetCACert and
# tests/vm/vmlib.sh.
# MODE rollover-ec: tests/vm/rollover-ec.sh (an ECDSA CA's rollover with
# strongSwan and a pkid trustpoint, check-vm-rollover-ec), with curl,
# tests/vm/vmlib.sh and strongSwan's pki (strongswan_files).
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

# strongSwan's pki (Debian's strongswan-pki) with the plugins `pki --scep`
# loads, each with its libraries (the curl plugin brings libcurl), a
# strongswan.conf that names them (no TPM plugin: no warning on every
# run), and RSA keys made here (key generation under TCG is slow).
strongswan_files() {
	local p plugdir=/usr/lib/ipsec/plugins
	local load="random nonce openssl gmp pem pkcs1 pkcs7 pkcs8 x509 pubkey sha1 sha2 aes hmac curl constraints revocation"
	copy_with_libs "$(vm_prog pki)" /bin
	for p in $load; do
		copy_with_libs "${PKIKS_VM_SYSROOT:-}$plugdir/libstrongswan-$p.so" "$plugdir"
	done
	mkdir -p "$root/etc"
	printf 'pki {\n  load = %s\n}\n' "$load" >"$root/etc/strongswan.conf"
	mkdir -p "$root/sw"
	for p in alice bob carol; do
		STRONGSWAN_CONF=$root/etc/strongswan.conf pki --gen --size 2048 >"$root/sw/$p.key"
	done
	chmod 755 "$root/sw"
	chmod 644 "$root"/sw/*.key
}

case $mode in
hierarchy)
	copy_with_libs "$(vm_prog curl)" /bin
	install -m 644 "$top/tests/vm/vmlib.sh" "$root/vmlib.sh"
	install -m 755 "$top/tests/vm/hierarchy.sh" "$root/tests.sh"
	;;
rollover-ec)
	copy_with_libs "$(vm_prog curl)" /bin
	strongswan_files
	install -m 644 "$top/tests/vm/vmlib.sh" "$root/vmlib.sh"
	install -m 755 "$top/tests/vm/rollover-ec.sh" "$root/tests.sh"
	;;
*) install -m 755 "$top/tests/vm/lifecycle.sh" "$root/tests.sh" ;;
esac
