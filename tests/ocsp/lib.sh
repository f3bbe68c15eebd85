# shellcheck shell=bash
# Helpers of the OCSP responder tests (source after tests/ca/lib.sh and
# tests/rollover/lib.sh).  Ports 18960-18979.  `openssl ocsp` is the
# independent client; it runs at the lab clock's time (faketime), so the
# responses' thisUpdate/nextUpdate and the chain are checked in lab time.
#
#   OURL                          the responder's URL (set by ocsp_setup)
#   ocsp_setup PORT               ca_setup, and OURL
#   ocsp_q OUT ISSUER CAFILE ARGS openssl ocsp at the lab clock's time
#                                 (or at OCSP_AT, epoch seconds);
#                                 text in OUT.txt, response in OUT.der;
#                                 the exit code is openssl's
#   ocsp_status OUT CERT          the status line's word for CERT in OUT.txt
#   resp_status FILE              the OCSPResponseStatus word of a DER file

ocsp_setup() {
	ca_setup "$1"
	OURL=http://127.0.0.1:$PORT/ocsp/$CA_NAME
}

ocsp_q() {
	local out=$1 issuer=$2 cafile=$3 when
	shift 3
	when=$(date -u -d "@${OCSP_AT:-$(lab_now)}" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC faketime -f "@$when" openssl ocsp -issuer "$issuer" \
		-CAfile "$cafile" -url "$OURL" -respout "$out.der" "$@" \
		>"$out.txt" 2>&1
}

ocsp_status() {
	sed -n "s|^$2: ||p" "$1.txt" | head -n 1
}

resp_status() {
	openssl ocsp -respin "$1" -resp_text -noverify 2>&1 | sed -n \
		-e 's/^ *OCSP Response Status: \([a-zA-Z]*\).*/\1/p' \
		-e 's/^Responder Error: \([a-zA-Z]*\).*/\1/p' | head -n 1
}
