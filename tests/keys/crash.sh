#!/bin/bash
# check-keys-persist-crash: CA promotion (TESTCA# -> TESTCA, TESTCA-ra# ->
# TESTCA-ra) killed at each durable step (PKID_TEST_CRASH_AT), then the
# keystore restarted (every key gone) before pkid starts again: the keys
# restored from the stored blobs finish the promotion, the CA is the
# rollover CA, blobs and keystore agree, and strongSwan enrolls under it.
# Crash points: promote-start (row PROMOTING), keyblob-moved (the blob
# moved to TESTCA, the keystore not yet promoted), promote-key (both keys
# promoted, the row not yet swapped), promote-db (row swapped); and
# keyblob-moved again with the keystore left running.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/keys/lib.sh
ca_setup 18810
kek_on
DB=$T/state/pkid.db

# crash_cycle STEP restart|keep
crash_cycle() {
	local step=$1 ks=$2 k next end
	# A fresh CA: new database, empty keystore.
	rm -rf "$T/state" "$T/db" "$T/ca.der" "$T/ra.der"
	ks_restart
	ca_conf "grant auto" "lifetime ca-certificate 0 0 10"
	ca_start
	ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
	next_ca "$T/n-$step" "$(sw_scepca && echo "$T/ca.pem")"
	next=$T/n-$step/next-ca.pem
	end=$(cert_time "$T/ca.pem" end)
	ca_kill
	$B/lab-advance $((end + 5 - $(lab_now))) >/dev/null || fail "lab-advance"
	start_crash "$step"
	wait_crash "$step"
	[ "$ks" = restart ] && ks_restart
	ca_start
	[ "$(jget "show server" fingerprint)" = "$(fp "$next")" ] ||
		fail "$step/$ks: the CA is not the rollover CA"
	[ "$(blob_names "$DB" | tr '\n' ' ')" = "$CA_NAME $CA_NAME-ra " ] ||
		fail "$step/$ks: blobs $(blob_names "$DB" | tr '\n' ' ')"
	for k in $CA_NAME $CA_NAME-ra; do
		[ "$(blob_pub "$DB" $k)" = "$(ks_pub $k)" ] ||
			fail "$step/$ks: blob of $k is not the keystore's key"
	done
	ks_keys | grep -q '#' && fail "$step/$ks: rollover keys left: $(ks_keys | tr '\n' ' ')"
	rm -f "$T/ca.der" "$T/ra.der"
	sw_scepca
	cmp -s "$T/ra.der" "$T/n-$step/next-ra.der" || fail "$step/$ks: RA is not the successor"
	lab_enroll "e-$step-$ks" "$T/ra.der" "$T/ra.der" "$T/ca.der"
	at_ok "$(($(lab_now) + 1))" "$next" "$T/e-$step-$ks.pem"
	ca_kill
	echo "ok: crash at $step, keystore $ks: promoted, blobs = keys, enrollment verifies"
}

for step in promote-start keyblob-moved promote-key promote-db; do
	crash_cycle $step restart
done
crash_cycle keyblob-moved keep
echo "check-keys-persist-crash: OK"
