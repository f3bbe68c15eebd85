#!/bin/bash
# check-keys-persist-bad: what pkid does when keys cannot be kept or
# cannot come back.
#  - no KEK (pkiksd without --kek-file): exactly one KEY_NOT_PERSISTED
#    warning saying how to fix it, no blob stored, and the CA works
#    (strongSwan enrolls, openssl verifies);  after a keystore restart the
#    CA refuses to start (CS_START_FAILED) and makes no new CA key;
#  - a tampered blob: KEY_RESTORE_FAILED naming the key, CS_START_FAILED,
#    no key made in its place, the CA certificate unchanged in the
#    database; with the original blob put back the same CA comes up;
#  - a valid blob of another key (the RA's) stored under the CA key's
#    name, and the right blobs under another KEK: the same refusal.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/keys/lib.sh
ca_setup 18820
DB=$T/state/pkid.db

# refused REASON-REGEX: pkid is up (GetCACaps) but the CA is not, and the
# keystore holds no CA key.
refused() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "CS_START_FAILED" "$T/pkid.log" && break
		sleep 0.05
	done
	grep -q "CS_START_FAILED: $CA_NAME: not started" "$T/pkid.log" ||
		fail "the CA was not refused"
	grep -Eq "$1" "$T/pkid.log" || fail "no '$1' in the log"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
	[ "$code" = 200 ] && fail "GetCACert answered although the CA was refused"
	ks_keys | grep -qx "$CA_NAME" && fail "a new $CA_NAME key was made"
	return 0
}

# 1. No KEY-encryption key.
ca_conf "grant auto"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment without a KEK"; }
verify "$T/alice.pem"
[ "$(count_in "$T/pkid.log" KEY_NOT_PERSISTED)" = 1 ] ||
	fail "KEY_NOT_PERSISTED $(count_in "$T/pkid.log" KEY_NOT_PERSISTED) times, want 1"
grep KEY_NOT_PERSISTED "$T/pkid.log" | grep -q "pkiks-kek.*--kek-file" ||
	fail "the warning does not say how to fix it"
[ -z "$(blob_names "$DB")" ] || fail "blobs stored without a KEK"
echo "ok: no KEK: one KEY_NOT_PERSISTED warning with the fix, CA works, alice verified"
fp0=$(fp "$T/ca.pem")
ca_kill
ks_restart
: >"$T/pkid.log"
CA_WAIT=GetCACaps ca_start
refused "cannot read the CA key"
ca_kill
echo "ok: no KEK, keystore restarted: CA refused, no new key made"

# 2. With a KEK: a tampered blob.
rm -rf "$T/state" "$T/db"
kek_on
: >"$T/pkid.log"
ca_start
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
fp1=$(fp "$T/ca.pem")
[ "$(blob_names "$DB" | tr '\n' ' ')" = "$CA_NAME $CA_NAME-ra " ] || fail "no blobs with a KEK"
ca_kill
cp "$DB" "$T/good.db"
blob_flip "$DB" $CA_NAME
ks_restart
: >"$T/pkid.log"
CA_WAIT=GetCACaps ca_start
refused "KEY_RESTORE_FAILED: key $CA_NAME is not in the keystore and its stored wrapped blob does not open"
[ "$(sqlite3 "$DB" "select hex(cur_cert) from ca")" = \
	"$(sqlite3 "$T/good.db" "select hex(cur_cert) from ca")" ] ||
	fail "the CA certificate changed"
ca_kill
echo "ok: tampered blob: KEY_RESTORE_FAILED names $CA_NAME, CA refused, no new key, certificate kept"

# A valid blob of another key under the name (the RA's under the CA's):
# it opens, but it is not the key the database recorded.
cp "$T/good.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
blob_swap "$DB" $CA_NAME $CA_NAME-ra
ks_restart
: >"$T/pkid.log"
CA_WAIT=GetCACaps ca_start
refused "KEY_RESTORE_FAILED: key $CA_NAME .*holds another key"
ca_kill
echo "ok: another key's blob under $CA_NAME: refused, no key in its place"

cp "$T/good.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
ks_restart
ca_start
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
[ "$(fp "$T/ca.pem")" = "$fp1" ] || fail "not the same CA after the blob was put back"
sw_enroll bob || { cat "$T/bob.log"; fail "bob: enrollment"; }
verify "$T/bob.pem"
ca_kill
echo "ok: original blob put back: the same CA comes up and enrolls"

# 3. Another KEK: the blobs do not open.
head -c 32 /dev/urandom >"$T/kek"
ks_restart
: >"$T/pkid.log"
CA_WAIT=GetCACaps ca_start
refused "KEY_RESTORE_FAILED: key $CA_NAME .*does not open"
ca_kill
echo "ok: another KEK: refused, no new key"
[ "$fp0" != "$fp1" ] || fail "fingerprints"
echo "check-keys-persist-bad: OK"
