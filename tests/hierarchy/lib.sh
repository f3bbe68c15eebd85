# shellcheck shell=bash
# Helpers of the hierarchy tests (issue 17), on top of tests/client/lib.sh:
# one pkiksd --lab shared by every pkid (they agree on time), the root
# pkid (server TESTCA, `ca_conf`/`ca_start`, port PORT), a subordinate
# pkid (server SUB in mode sub-cs, trustpoint SUB enrolling at the root,
# port SPORT) and the client pkid (trustpoint TP1, `cl_conf`/`cl_start`).
#
#   hi_setup PORT              $T, the lab keystore, SPORT=PORT+1, SURL
#   sub_conf [LINES...]        $T/sub.conf (trustpoint SUB's LINES; $SUB_EXTRA:
#                              server SUB lines, one a line; $SUB_ENROLL: its
#                              enrollment line, default the root's url)
#   sub_start / sub_stop       the sub pkid (waits for its socket)
#   subctl CMD ARGS...         one control command to the sub
#   sub_serving                GetCACert answers on the sub's port
#   root_pending_id SUBJECT    the root's pending request for SUBJECT
#   hi_sub_up [LINES...]       the root running: sub_conf with the root's
#                              fingerprint and LINES, sub_start, the root's
#                              grant, the sub serving; $T/root1.pem and
#                              $T/sub1.pem, the chain it serves
#   hi_router_up [LINES...]    trustpoint TP1 at the sub (auto-enroll 80,
#                              export-shadow $T/tp1-shadow.pem, LINES),
#                              authenticated and enrolled: $T/router1.pem
#   hi_ra_setup PORT           hi_setup for the RA tests: the RA pkid
#                              (RA_PID, its $T/ra.conf written by the
#                              test, port SPORT) killed and its log shown
#                              on a failure at exit
#   ractl CMD ARGS...          one control command to the RA
#   ra_serving                 GetCACert answers on the RA's port
. tests/client/lib.sh
SUB_PID=

hi_cleanup() {
	[ -n "${SUB_PID:-}" ] && kill -KILL "$SUB_PID" 2>/dev/null &&
		wait "$SUB_PID" 2>/dev/null
	[ -f "${T:-/nonexistent}/sub.log" ] && [ -n "${HI_FAILED:-}" ] &&
		{ echo "--- sub.log" >&2; tail -n 25 "$T/sub.log" >&2; }
	cl_cleanup
}

hi_setup() {
	cl_setup "$1"
	SPORT=$(($1 + 1))
	SURL=http://127.0.0.1:$SPORT/cgi-bin/pkiclient.exe
	trap hi_cleanup EXIT
}

RA_PID=
hi_ra_cleanup() {
	[ -n "${RA_PID:-}" ] && kill -KILL "$RA_PID" 2>/dev/null && wait "$RA_PID" 2>/dev/null
	[ -f "${T:-/nonexistent}/ra.log" ] && [ -n "${HI_FAILED:-}" ] &&
		{ echo "--- ra.log" >&2; tail -n 30 "$T/ra.log" >&2; }
	hi_cleanup
}

hi_ra_setup() {
	hi_setup "$1"
	trap hi_ra_cleanup EXIT
}

ractl() { $B/ctl-call "$T/ra.ctl" "$@" 2>/dev/null; }
ra_serving() { curl -sf -o /dev/null "$SURL?operation=GetCACert"; }

# fail, with the sub's log too.
hfail() {
	HI_FAILED=1
	fail "$@"
}

sub_conf() {
	local l
	cat >"$T/sub.conf" <<-EOF
	clock calendar-valid
	ip http server $SPORT
	control-socket $T/sub.ctl
	crypto pki trustpoint SUB
	 ${SUB_ENROLL:-enrollment url $URL}
	 enrollment retry period 1
	EOF
	for l in "$@"; do echo " $l" >>"$T/sub.conf"; done
	cat >>"$T/sub.conf" <<-EOF
	crypto pki server SUB
	 issuer-name CN=pkid sub CA,O=pkid
	 mode sub-cs
	 grant auto
	 lifetime certificate 10
	 database url $T/subdb
	 database level complete
	EOF
	[ -n "${SUB_EXTRA:-}" ] && echo "$SUB_EXTRA" | sed 's/^/ /' >>"$T/sub.conf"
	echo " no shutdown" >>"$T/sub.conf"
}

sub_start() {
	start_pkid sub SUB_PID
	wait_for 10 subctl "show trustpoints" ||
		hfail "the sub pkid did not answer within 10 s"
}

sub_stop() {
	stop_pid "$SUB_PID"
	SUB_PID=
}

subctl() { $B/ctl-call "$T/sub.ctl" "$@" 2>/dev/null; }
sub_serving() { curl -sf -o /dev/null "$SURL?operation=GetCACert"; }

root_pending_id() {
	cactl --json "show requests" TESTCA | jq -er --arg s "$1" \
		'[.[] | select(.state == "pending" and (.subject | contains($s)))][0].id // empty'
}

# The root grants the sub's pending CA request (the operator's step).
root_grant_sub() {
	wait_for 20 root_pending_id "CN=pkid sub CA" || hfail "no pending request of the sub"
	cactl "server grant" TESTCA "$(root_pending_id "CN=pkid sub CA")" >/dev/null || hfail "grant"
}

# sub_timer KIND: the deadline (s) of trustpoint SUB's timer KIND.
sub_timer() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "SUB" and .kind == $k) | .deadline_ns / 1000000000 | floor'
}

# ca_timer OWNER KIND: the deadline (s) of a timer of OWNER (either pkid).
ca_timer() {
	$B/pkictl --json show timers | jq -r --arg o "$1" --arg k "$2" \
		'.timers[] | select(.owner == $o and .kind == $k) | .deadline_ns / 1000000000 | floor'
}

# get_pem URL N: the N-th certificate of GetCACert at URL.
get_pem() {
	curl -sf "$1?operation=GetCACert" |
		openssl pkcs7 -inform der -print_certs | awk -v n="$2" '/BEGIN/{i++} i==n' |
		openssl x509
}

# The prologue every sub test shares: the sub enrolls at the running root
# (the operator's grant, then the trustpoint's POLL) and serves.
hi_sub_up() {
	local rootfp
	rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
	sub_conf "fingerprint $rootfp" "$@"
	sub_start
	root_grant_sub
	lab_to $(($(sub_timer POLL) + 1))
	wait_for 20 sub_serving || hfail "the sub does not serve"
	get_pem "$URL" 1 >"$T/root1.pem"
	get_pem "$SURL" 1 >"$T/sub1.pem"
}

# A pkid router (trustpoint TP1) enrolled at the sub.
hi_router_up() {
	URL=$SURL cl_conf "auto-enroll 80" "certificate export-shadow $T/tp1-shadow.pem" "$@"
	cl_start
	PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
		hfail "authenticate"
	PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
	cp "$T/tp1.pem" "$T/router1.pem"
}

# chain_ok AT ROOT SUB LEAF: LEAF verifies under ROOT <- SUB at AT.
chain_ok() {
	openssl verify -attime "$1" -CAfile "$2" -untrusted "$3" "$4" >/dev/null 2>&1
}

# hi_swan NAME ROOTPEM SUBPEM: a strongSwan router enrolls at the sub
# (pki --scepca, pki --scep) at the lab clock's time (faketime: what pki
# checks is valid in lab time); its certificate in $T/swNAME/cert.pem
# must verify ROOTPEM <- SUBPEM <- it now.  Needs strongswan_conf.
hi_swan() {
	local d="$T/sw$1" ra= ca= f when
	mkdir -p "$d"
	when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
	(cd "$d" && TZ=UTC faketime -f "@$when" pki --scepca --url "$SURL" --caout ca.der \
		--raout ra.der >"$d/scepca.log" 2>&1) || hfail "pki --scepca: $(cat "$d/scepca.log")"
	for f in "$d"/*.der; do
		openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null | grep -q "SUB RA" && ra=$f
		openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null | grep -q "pkid sub CA" && ca=$f
	done
	[ -n "$ra" ] && [ -n "$ca" ] || hfail "pki --scepca wrote: $(ls "$d")"
	pki --gen --size 2048 >"$d/key"
	TZ=UTC faketime -f "@$when" pki --scep --url "$SURL" --in "$d/key" \
		--dn "CN=swan$1,O=pkid test" --cacert-enc "$ra" --cacert-sig "$ra" --cacert "$ca" \
		>"$d/cert.der" 2>"$d/log" || hfail "pki --scep at the sub: $(tail -5 "$d/log")"
	openssl x509 -inform der -in "$d/cert.der" -out "$d/cert.pem" || hfail "swan$1: no certificate"
	chain_ok "$(lab_now)" "$2" "$3" "$d/cert.pem" ||
		hfail "strongSwan $1 does not verify root <- sub now"
}

# pkictl on the sub's and on the root's control socket (the offline-root
# scripts carry files between the two by hand).
sp() { PKID_CTL_SOCKET=$T/sub.ctl $B/pkictl "$@"; }
rp() { PKID_CTL_SOCKET=$T/ca.ctl $B/pkictl "$@"; }
# bad CMD... TEXT: CMD fails and says TEXT on stderr.
bad() {
	local text=${*: -1}
	"${@:1:$#-1}" >"$T/bad.out" 2>"$T/bad.err" && hfail "accepted: ${*:1:$#-1}"
	grep -qF -- "$text" "$T/bad.err" || hfail "${*:1:$#-1}: said $(cat "$T/bad.err"), not \"$text\""
}
