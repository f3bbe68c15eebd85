# shellcheck shell=bash
# Helpers of the EST tests (source from the top of the tree), on top of
# tests/ca/lib.sh: a CA with `est` on `ip http secure-server`.
#
#   est_setup PORT          temp dir, pkiksd twin; HTTPS on PORT+1
#   est_conf GRANT [LINES]  pkid.conf: the CA of tests/ca/lib.sh, plus EST
#   est_start               pkid; waits for /cacerts over TLS, writes ca.pem
#   est CURL-ARGS... PATH   one EST request (curl, CA verified): the HTTP
#                           code on stdout, the body in $T/body, headers in
#                           $T/headers
#   p7_certs FILE OUT       base64 certs-only body -> PEM certificates
#   csr NAME SUBJECT [SAN]  key NAME.key (RSA 2048), base64 CSR NAME.b64
. tests/ca/lib.sh

est_setup() {
	ca_setup "$1"
	HTTPS_PORT=$(($1 + 1))
	EST=https://127.0.0.1:$HTTPS_PORT/.well-known/est
}

est_conf() {
	ca_conf "$@" "est tls-name 127.0.0.1"
	sed -i "s/^ip http server .*/&\nip http secure-server\nip http secure-port $HTTPS_PORT/" \
		"$T/pkid.conf"
}

est_start() {
	local i
	ca_start
	sw_scepca # ca.pem, from SCEP: what EST serves must equal it
	for ((i = 0; i < 100; i++)); do
		[ "$(est -o /dev/null cacerts)" = 200 ] && return 0
		sleep 0.05
	done
	fail "EST /cacerts did not answer over TLS within 5 s"
}

est() {
	local path=${*: -1}
	curl -s --cacert "$T/ca.pem" -o "$T/body" -D "$T/headers" \
		-w '%{http_code}' "${@:1:$#-1}" "$EST/$path"
}

p7_certs() {
	base64 -d "$1" >"$1.der" || fail "$1: not base64"
	openssl pkcs7 -inform der -in "$1.der" -print_certs -out "$2" ||
		fail "$1: not a PKCS#7"
}

csr() {
	local n=$1 subj=$2 san=${3:-}
	[ -f "$T/$n.key" ] || openssl genrsa -out "$T/$n.key" 2048 2>/dev/null
	openssl req -new -key "$T/$n.key" -subj "$subj" \
		${san:+-addext "subjectAltName=$san"} -outform der \
		-out "$T/$n.csr" || fail "csr $n"
	base64 "$T/$n.csr" >"$T/$n.b64"
}

# enroll_post OP NAME [CURL-ARGS...]: POST NAME.b64 as application/pkcs10
enroll_post() {
	local op=$1 n=$2
	shift 2
	est -H 'Content-Type: application/pkcs10' --data-binary @"$T/$n.b64" \
		"$@" "$op"
}

ncerts() { ctl --json "show certificates" $CA_NAME | jq length; }
pubkey_hash() { openssl x509 -noout -pubkey -in "$1" | sha256sum; }
