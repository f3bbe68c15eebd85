# shellcheck shell=bash
# Helpers of the EST client tests (source from the top of the tree), on
# top of tests/client/lib.sh: one pkiksd --lab shared by a CA pkid serving
# SCEP on PORT and EST on PORT+1, and a client pkid whose trustpoints
# enroll over EST (or SCEP: the mixed network).
#
#   estc_setup PORT          cl_setup; $HTTPS_PORT, $EST (the EST URL),
#                            $SCEP (the SCEP URL)
#   estc_ca_conf GRANT [LINES...]
#                            ca_conf + EST (`est tls-name 127.0.0.1` on
#                            `ip http secure-server`, port PORT+1)
#   est_issued               how many certificates the CA issued over EST
#   tp_conf NAME URL [LINES...]
#                            one more trustpoint block for cl.conf
. tests/client/lib.sh

estc_setup() {
	cl_setup "$1"
	HTTPS_PORT=$(($1 + 1))
	EST=https://127.0.0.1:$HTTPS_PORT/.well-known/est
	SCEP=$URL
}

estc_ca_conf() {
	ca_conf "$@" "est tls-name 127.0.0.1"
	sed -i "s/^ip http server .*/&\nip http secure-server\nip http secure-port $HTTPS_PORT/" \
		"$T/ca.conf"
}

# After ca_start: EST answers over TLS (its certificate is issued at the
# first handshake).
est_ready() {
	wait_for 10 curl -skf -o /dev/null "$EST/cacerts" ||
		fail "EST /cacerts did not answer within 10 s"
}

est_issued() {
	grep -c "%PKI-6-EST_ISSUED" "$T/ca.log"
}

tp_conf() {
	local name=$1 url=$2 l
	shift 2
	cat >>"$T/cl.conf" <<-EOF
	crypto pki trustpoint $name
	 enrollment url $url
	 subject-name CN=$name,O=pkid test
	 rsakeypair ${name}KEY
	EOF
	for l in "$@"; do echo " $l" >>"$T/cl.conf"; done
}

# timer_at for another trustpoint than TP1.
tp_timer_at() {
	$B/pkictl --json show timers | jq -r --arg o "$1" --arg k "$2" \
		'.timers[] | select(.owner == $o and .kind == $k) |
		 .deadline_ns / 1000000000 | floor'
}
