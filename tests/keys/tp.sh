#!/bin/bash
# check-keys-persist-tp: a trustpoint's keys survive keystore restarts.
# A client pkid (trustpoint TP1, `auto-enroll 80 regenerate`) enrolls from
# a CA pkid; both share one pkiksd with a KEK file.
#  - enroll: the blob of TP1KEY is stored; RENEW makes TP1KEY#, promotes
#    it, and the stored blob follows (TP1KEY's blob = the new key, no
#    TP1KEY# blob left);
#  - keystore restart as on a reboot (pkiksd stopped: every key gone; its
#    state dir, with its timers, wiped; started with the same KEK; both
#    pkids restarted): TP1KEY comes back as the key of the installed
#    certificate, RENEW is armed again, and the next RENEW (a request
#    signed with the restored key) is granted: a new certificate for a
#    new key, verified with openssl against the same CA;
#  - the same under running pkids (pkiksd restart, state kept): they
#    reconnect, restore, and RENEW works again.
. tests/client/lib.sh
. tests/keys/lib.sh
cl_setup 18830
kek_on
CLDB=$T/cl-state/pkid.db
ca_conf "grant auto"
ca_start
cl_conf "auto-enroll 80 regenerate"
cl_start
clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" || fail "GetCACert"
openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs -out "$T/chain.pem" || fail "pkcs7"
openssl verify -CAfile "$T/chain.pem" "$T/tp1.pem" >/dev/null || fail "openssl verify"
[ "$(blob_names "$CLDB")" = TP1KEY ] || fail "client blobs: $(blob_names "$CLDB")"
[ "$(blob_pub "$CLDB" TP1KEY)" = "$(ks_pub TP1KEY)" ] || fail "blob of TP1KEY is another key"
echo "ok: enrolled; blob of TP1KEY stored"

# renew_once PEM: RENEW fires (lab clock), a new key is promoted.
renew_once() {
	local nb na renew
	nb=$(cert_time "$T/tp1.pem" startdate)
	na=$(cert_time "$T/tp1.pem" enddate)
	renew=$((nb + (na - nb) * 80 / 100))
	wait_for 10 bash -c "[ \"\$($B/pkictl --json show timers | jq -r '.timers[] | select(.owner == \"TP1\" and .kind == \"RENEW\") | .deadline_ns / 1000000000 | floor')\" = $renew ]" ||
		fail "RENEW is not armed at $renew (is: $(timer_at RENEW))"
	cp "$T/tp1.pem" "$T/before.pem"
	lab_to $((renew + 1))
	wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$T/before.pem'" || fail "RENEW did not renew"
	# Issued between the RENEW instant and now (the lab clock runs on in
	# real time, so how long the renewal took is the machine's business);
	# valid from its own start.
	nb=$(cert_time "$T/tp1.pem" startdate)
	[ "$nb" -ge "$renew" ] && [ "$nb" -le "$(lab_now)" ] ||
		fail "renewed certificate starts at $nb, not in [$renew, now]"
	openssl verify -CAfile "$T/chain.pem" -attime "$nb" "$T/tp1.pem" >/dev/null ||
		fail "renewed certificate does not verify"
	[ "$(pubkey_of_cert "$T/tp1.pem")" != "$(pubkey_of_cert "$T/before.pem")" ] ||
		fail "regenerate: the key did not change"
	[ "$(pubkey_of_cert "$T/tp1.pem")" = "$(pubkey_of_key TP1KEY)" ] ||
		fail "the renewed certificate is not for the promoted TP1KEY"
	[ "$(blob_names "$CLDB")" = TP1KEY ] || fail "client blobs after renewal: $(blob_names "$CLDB" | tr '\n' ' ')"
	[ "$(blob_pub "$CLDB" TP1KEY)" = "$(ks_pub TP1KEY)" ] || fail "blob of TP1KEY is not the promoted key"
}

renew_once
echo "ok: RENEW with regenerate: TP1KEY# promoted, the blob followed"

# A reboot: pkiksd's state (its timers) goes too.
cl_stop
ca_stop
ks_restart wipe
[ -z "$(timer_at RENEW)" ] || fail "RENEW survived a wiped keystore"
ca_start
cl_start
grep -q "KEY_RESTORED: key TP1KEY restored" "$T/cl.log" || fail "TP1KEY not restored"
[ "$(pubkey_of_cert "$T/tp1.pem")" = "$(pubkey_of_key TP1KEY)" ] ||
	fail "restored TP1KEY is not the installed certificate's key"
echo "ok: keystore restart: TP1KEY restored, it is the installed certificate's key"

renew_once
echo "ok: after the keystore restart: RENEW re-armed, renewed with the restored key"

# The same with both pkids left running: they reconnect and restore.
ks_restart live
wait_log "$T/cl.log" "KEY_RESTORED: key TP1KEY restored" 2
wait_log "$T/ca.log" "KEY_RESTORED: key TESTCA restored" 2
[ "$(pubkey_of_cert "$T/tp1.pem")" = "$(pubkey_of_key TP1KEY)" ] ||
	fail "live: restored TP1KEY is not the installed certificate's key"
renew_once
echo "ok: keystore restart under running pkids: TP1KEY restored at reconnect, RENEW re-armed and renewed"
echo "check-keys-persist-tp: OK"
