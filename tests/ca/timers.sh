#!/bin/bash
# check-ca-timers: the CA's keystore timers fire and do their job.  With
# the lab clock moved forward: CS CRL UPDATE re-signs the CRL (new
# number, new dates); ER EXPIRE drops a pending request that outlived
# `lifetime enrollment-request`.  Also: `pkid -t` on a broken file names
# file and line and exits 1.
. tests/ca/lib.sh
ca_setup 18106

printf 'crypto pki server X\n lifetime bogus 3\n' >"$T/broken.conf"
$B/pkid -t -c "$T/broken.conf" 2>"$T/broken.err" && fail "pkid -t accepted a broken file"
grep -q "broken.conf:2" "$T/broken.err" || fail "no file:line: $(cat "$T/broken.err")"
echo "ok: pkid -t: $(head -1 "$T/broken.err")"

ca_conf "! manual" "lifetime crl 2" "lifetime enrollment-request 1"
$B/pkid -t -c "$T/pkid.conf" >/dev/null || fail "pkid -t rejected a good file"
ca_start
sw_scepca
sw_enroll pat --interval 1 --maxpolltime 1 && fail "pat issued in manual mode"
ctl "show requests verbose" $CA_NAME | grep -q "pending.*CN=pat" || fail "pat not pending"
n1=$(ctl --json "server info crl" $CA_NAME | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["crl_number"])')

# 1 h 1 min later: ER EXPIRE has fired, pat's request is gone.
$B/lab-advance 3660 || fail "lab-advance"
for ((i = 0; i < 50; i++)); do
	ctl "show requests verbose" $CA_NAME | grep -q "CN=pat" || break
	sleep 0.1
done
ctl "show requests verbose" $CA_NAME | grep -q "CN=pat" && fail "pending request did not expire"
grep -q "pending request(s) expired" "$T/pkid.log" || fail "no expiry logged"
echo "ok: ER EXPIRE removed the pending request"

# 2 h 1 min after the first CRL: CS CRL UPDATE has re-signed it.
$B/lab-advance 3660 || fail "lab-advance"
for ((i = 0; i < 50; i++)); do
	n2=$(ctl --json "server info crl" $CA_NAME | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["crl_number"])')
	[ "$n2" -gt "$n1" ] && break
	sleep 0.1
done
[ "$n2" -gt "$n1" ] || fail "CRL not re-signed ($n1 -> $n2)"
curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail GetCRL
openssl crl -inform der -in "$T/crl.der" -noout -text |
	grep -A1 "CRL Number" | grep -q "\b$n2\b" || fail "served CRL is not number $n2"
echo "ok: CS CRL UPDATE re-signed the CRL ($n1 -> $n2) and it is served"
echo "check-ca-timers: OK"
