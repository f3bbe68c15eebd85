# shellcheck shell=bash
# strongSwan's pki for the tests that enroll with it (source this file).
#
#   strongswan_conf DIR
#       writes DIR/strongswan.conf, pki's plugins without the TPM one (a
#       warning on every run otherwise), and exports STRONGSWAN_CONF.

strongswan_conf() {
	cat >"$1/strongswan.conf" <<-EOF
	pki {
	  load = random nonce openssl gmp pem pkcs1 pkcs7 pkcs8 x509 pubkey sha1 sha2 aes hmac curl constraints revocation
	}
	EOF
	export STRONGSWAN_CONF=$1/strongswan.conf
}
