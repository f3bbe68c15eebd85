#!/bin/bash
# check-keys-persist: the CA's keys survive keystore restarts.  pkiksd
# holds keys in memory only; pkid stores the wrapped blob of every key it
# makes and restores what the keystore lost.  Each "keystore restart"
# below stops pkiksd (its keys are gone), starts it again with the same
# KEK file, and restarts pkid:
#  1. CA up and enrolling -> restart (as a reboot: pkiksd's state dir
#     wiped too): TESTCA and TESTCA-ra come back, its timers re-armed, the
#     CA fingerprint and RA certificate are unchanged, strongSwan enrolls
#     and the certificate verifies against the SAME CA certificate;
#  2. a rollover CA exists -> restart: TESTCA# and TESTCA-ra# come back,
#     GetNextCACert is unchanged, strongSwan enrolls under the rollover CA;
#  3. after promotion (CS CERT EXPIRE) -> restart: TESTCA is the promoted
#     key (blob and keystore agree, no TESTCA# blob left), GetCACert is the
#     new CA, strongSwan enrolls under it;
#  4. rollover cancel deletes the rollover keys' blobs too.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/keys/lib.sh
ca_setup 18801
kek_on
DB=$T/state/pkid.db

restart_all() {
	ca_kill
	ks_restart
	ca_start
}

ca_conf "grant auto" "lifetime ca-certificate 0 0 10"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }
verify "$T/alice.pem"
cp "$T/ca.pem" "$T/ca1.pem"
cp "$T/ra.der" "$T/ra1.der"
[ "$(blob_names "$DB" | tr '\n' ' ')" = "$CA_NAME $CA_NAME-ra " ] ||
	fail "stored blobs: $(blob_names "$DB" | tr '\n' ' ')"
for k in $CA_NAME $CA_NAME-ra; do
	[ "$(blob_pub "$DB" $k)" = "$(ks_pub $k)" ] || fail "blob of $k is not the keystore's key"
done
grep -q KEY_NOT_PERSISTED "$T/pkid.log" && fail "KEY_NOT_PERSISTED with a KEK"
echo "ok: CA up: blobs of $CA_NAME and $CA_NAME-ra stored, same public keys"

# 1. Keystore restart, as on a reboot (pkiksd's state with its timers
# gone too): the CA and RA keys come back, the CA's timers are armed again.
ca_kill
ks_restart wipe
ca_start
$B/pkictl show timers 2>/dev/null | grep -q "CS CERT EXPIRE" || fail "CS CERT EXPIRE not armed again"
for k in $CA_NAME $CA_NAME-ra; do
	grep -q "KEY_RESTORED: key $k restored" "$T/pkid.log" || fail "$k not restored"
	[ "$(blob_pub "$DB" $k)" = "$(ks_pub $k)" ] || fail "restored $k is another key"
done
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
[ "$(fp "$T/ca.pem")" = "$(fp "$T/ca1.pem")" ] || fail "CA fingerprint changed"
cmp -s "$T/ra.der" "$T/ra1.der" || fail "RA certificate changed (RA key not restored)"
sw_enroll bob || { cat "$T/bob.log"; fail "bob: enrollment after restore"; }
openssl verify -CAfile "$T/ca1.pem" "$T/bob.pem" >/dev/null ||
	fail "bob does not verify against the original CA certificate"
echo "ok: keystore restart: keys restored, CA $(fp "$T/ca1.pem" | cut -c1-16)… unchanged, bob enrolled and verified"

# 1b. The same with pkid left running: it sees the keystore connection
# drop, reconnects, restores the keys and starts the CA again.
n=$(count_in "$T/pkid.log" "KEY_RESTORED: key $CA_NAME restored")
ks_restart live
wait_log "$T/pkid.log" "KEY_RESTORED: key $CA_NAME restored" $((n + 1))
wait_log "$T/pkid.log" "KEY_RESTORED: key $CA_NAME-ra restored" $((n + 1))
wait_log "$T/pkid.log" "CS_ENABLED" 3
sw_enroll bob2 || { cat "$T/bob2.log"; fail "bob2: enrollment after a live restore"; }
openssl verify -CAfile "$T/ca1.pem" "$T/bob2.pem" >/dev/null ||
	fail "bob2 does not verify against the original CA certificate"
echo "ok: keystore restart under a running pkid: keys restored at reconnect, bob2 enrolled and verified"

# 2. A rollover CA exists: its keys come back too.
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
next_ca "$T/n1" "$T/ca1.pem"
for k in "$CA_NAME#" "$CA_NAME-ra#"; do
	[ "$(blob_pub "$DB" "$k")" = "$(ks_pub "$k")" ] || fail "no blob of $k"
done
restart_all
for k in "$CA_NAME#" "$CA_NAME-ra#"; do
	grep -q "KEY_RESTORED: key $k restored" "$T/pkid.log" || fail "$k not restored"
done
next_ca "$T/n2" "$T/ca1.pem"
[ "$(fp "$T/n2/next-ca.pem")" = "$(fp "$T/n1/next-ca.pem")" ] || fail "rollover CA changed"
cmp -s "$T/n1/next-ra.der" "$T/n2/next-ra.der" || fail "RA successor changed (key not restored)"
start=$(cert_time "$T/n1/next-ca.pem" start)
lab_enroll carol "$T/n2/next-ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$((start + 1))" "$T/n1/next-ca.pem" "$T/carol.pem"
echo "ok: rollover in progress: $CA_NAME# and $CA_NAME-ra# restored, carol enrolled under the rollover CA"

# 3. Promotion: the stored blob follows the key.
end=$(cert_time "$T/ca1.pem" end)
$B/lab-advance $((end + 5 - $(lab_now))) >/dev/null || fail "lab-advance"
wait_field "show server" fingerprint "$(fp "$T/n1/next-ca.pem")"
[ "$(blob_names "$DB" | tr '\n' ' ')" = "$CA_NAME $CA_NAME-ra " ] ||
	fail "blobs after promotion: $(blob_names "$DB" | tr '\n' ' ')"
for k in $CA_NAME $CA_NAME-ra; do
	[ "$(blob_pub "$DB" $k)" = "$(ks_pub $k)" ] || fail "blob of $k is not the promoted key"
done
restart_all
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
[ "$(fp "$T/ca.pem")" = "$(fp "$T/n1/next-ca.pem")" ] || fail "GetCACert: not the promoted CA"
cmp -s "$T/ra.der" "$T/n1/next-ra.der" || fail "GetCACert: RA is not the successor"
lab_enroll dave "$T/ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$(($(lab_now) + 1))" "$T/n1/next-ca.pem" "$T/dave.pem"
echo "ok: promoted: blobs follow the keys; after a keystore restart dave enrolls under the promoted CA"

# 4. Cancel: the rollover keys and their blobs go.
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
blob_names "$DB" | grep -qx "$CA_NAME#" || fail "no blob for the new rollover key"
ctl "server rollover cancel" $CA_NAME >"$T/out" || fail "cancel: $(cat "$T/out")"
blob_names "$DB" | grep -q '#' && fail "rollover blobs left after cancel"
restart_all
ks_keys | grep -q '#' && fail "a cancelled rollover key came back: $(ks_keys | tr '\n' ' ')"
echo "ok: rollover cancel: keys and blobs deleted, nothing comes back"
echo "check-keys-persist: OK"
