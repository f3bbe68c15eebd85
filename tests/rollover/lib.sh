# shellcheck shell=bash
# Helpers of the CA rollover tests (source from the top of the tree, after
# tests/ca/lib.sh).  Ports 18400-18499.  Times are the lab clock's: the
# keystore (pkiksd --lab) is moved forward with lab-advance, and every
# `openssl verify` names its instant with -attime.
#
#   jget CMD KEY             one field of a control command's JSON result
#   wait_field CMD KEY VAL   until it equals VAL (bounded: 100 x 0.1 s)
#   cert_time FILE start|end the certificate's notBefore/notAfter (epoch)
#   fp FILE                  SHA-256 fingerprint, upper-case hex, no colons
#   next_ca OUTDIR CA.pem    GetNextCACert, verified by CA.pem; writes
#                            OUTDIR/next-ca.{der,pem} (and next-ra.*)
#   getca OUTDIR             GetCACert through strongSwan into OUTDIR
#   at_ok/at_bad T CA CERT   openssl verify -attime T accepts / rejects
#   lab_now                  the lab clock's now (epoch seconds)
#   lab_enroll NAME ENC SIG CA   strongSwan's pki --scep with its clock at
#                            the lab clock's (faketime): certs it checks
#                            are valid in lab time, not in real time
#   db_state                 "STEP ARCHIVE_COUNTER" of the CA's row
#   key_count NAME           keystore keys named exactly NAME (0 or 1)
#   start_crash STEP         start pkid with PKID_TEST_CRASH_AT=STEP
#   wait_crash STEP          pkid exited 137 right after STEP

jget() {
	local cmd=$1 key=$2
	ctl --json "$cmd" "$CA_NAME" | python3 -c \
		"import json,sys; print(json.load(sys.stdin).get('$key', ''))"
}

wait_field() {
	local i got
	for ((i = 0; i < 100; i++)); do
		got=$(jget "$1" "$2")
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: $2 is '$got', want '$3'"
}

cert_time() {
	local f=$1 what=$2 v
	if [ "$what" = start ]; then
		v=$(openssl x509 -in "$f" -noout -startdate) || fail "read $f"
	else
		v=$(openssl x509 -in "$f" -noout -enddate) || fail "read $f"
	fi
	date -u -d "${v#*=}" +%s
}

fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'
}

next_ca() {
	local out=$1 ca=$2 code
	mkdir -p "$out"
	code=$(curl -s -o "$out/next.der" -w '%{http_code} %{content_type}' \
		"$URL?operation=GetNextCACert")
	[ "$code" = "200 application/x-x509-next-ca-cert" ] ||
		fail "GetNextCACert: $code"
	# Signed by the current CA: verify with it as the only trust anchor.
	openssl cms -verify -inform DER -in "$out/next.der" -CAfile "$ca" \
		-attime "$(lab_now)" -binary -out "$out/content.der" \
		2>"$out/verify.log" || { cat "$out/verify.log"; fail "GetNextCACert does not verify"; }
	openssl pkcs7 -inform DER -in "$out/content.der" -print_certs \
		-out "$out/certs.pem" || fail "GetNextCACert content"
	(cd "$out" && csplit -s -z -f c "certs.pem" '/-----BEGIN/' '{*}')
	# c00 is the text before the first certificate, if any.
	local f n=0
	for f in "$out"/c[0-9]*; do
		grep -q "BEGIN CERTIFICATE" "$f" || continue
		if [ $n -eq 0 ]; then
			openssl x509 -in "$f" -out "$out/next-ca.pem"
		else
			openssl x509 -in "$f" -out "$out/next-ra.pem"
		fi
		n=$((n + 1))
	done
	[ $n -ge 1 ] || fail "GetNextCACert carries no certificate"
	openssl x509 -in "$out/next-ca.pem" -outform der -out "$out/next-ca.der"
	[ -f "$out/next-ra.pem" ] &&
		openssl x509 -in "$out/next-ra.pem" -outform der -out "$out/next-ra.der"
	return 0
}

# The lab clock's now (epoch seconds), from the keystore.
lab_now() {
	$B/pkictl --json show clock | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["now_ns"] // 10**9)'
}

at_ok() {
	openssl verify -attime "$1" -CAfile "$2" "$3" >/dev/null 2>&1 ||
		fail "verify at $1: $3 rejected under $(basename "$2")"
}

at_bad() {
	openssl verify -attime "$1" -CAfile "$2" "$3" >/dev/null 2>&1 &&
		fail "verify at $1: $3 accepted under $(basename "$2")"
	return 0
}

lab_enroll() {
	local n=$1 enc=$2 sig=$3 ca=$4 when
	[ -f "$T/$n.key" ] || pki --gen --size 2048 >"$T/$n.key"
	when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC faketime -f "@$when" pki --scep --url "$URL" --in "$T/$n.key" \
		--dn "CN=$n,O=pkid test" --cacert-enc "$enc" --cacert-sig "$sig" \
		--cacert "$ca" >"$T/$n.der" 2>"$T/$n.log" ||
		{ cat "$T/$n.log"; fail "$n: enrollment"; }
	openssl x509 -inform der -in "$T/$n.der" -out "$T/$n.pem" || fail "$n.der"
}

# The CA row: "rollover-step archive-counter" (0 none, 1 key made,
# 2 available, 3 promoting).
db_state() {
	sqlite3 "$T/state/pkid.db" \
		"select rollover || ' ' || archive_counter from ca where name='$CA_NAME'"
}

# How many keystore keys are named exactly $1.
key_count() {
	$B/pkictl --json show keys 2>/dev/null | python3 -c \
		"import json,sys; d=json.load(sys.stdin); k=d['keys'] if isinstance(d,dict) else d; print(sum(1 for x in k if x['name']=='$1'))"
}

# pkid with PKID_TEST_CRASH_AT=STEP exits 137 (bounded: 200 x 50 ms),
# either at once (a step due at start) or after `lab-advance`.
wait_crash() {
	local step=$1 i rc
	for ((i = 0; i < 200; i++)); do
		kill -0 "$PKID_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$PKID_PID" 2>/dev/null && fail "pkid did not stop at $step"
	wait "$PKID_PID" 2>/dev/null
	rc=$?
	PKID_PID=
	[ $rc = 137 ] || fail "pkid exited $rc, want 137 at $step"
	grep -q "PKID_TEST_CRASH_AT=$step" "$T/pkid.log" || fail "no crash at $step"
}

# Start pkid that crashes at STEP (due at start: the start itself).
start_crash() {
	PKID_TEST_CRASH_AT=$1 $B/pkid -f -c "$T/pkid.conf" -s "$T/state" \
		-P "$PWD/build/pkiks-provider.so" >>"$T/pkid.log" 2>&1 &
	PKID_PID=$!
}
