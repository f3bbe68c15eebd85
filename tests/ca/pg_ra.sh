#!/bin/bash
# check-pg-ra: an RA-mode CA (ra-certificate auto) with `database archive`
# on two nodes, one PostgreSQL, each node its own pkiksd and its own
# `database url` folder (issue 18, docs/POSTGRESQL.md "Several nodes").
# The RA certificate and the archives used to be files in the folder of
# the node that made them: each node issued an RA certificate of its own,
# and only the leader had the archives.  Now they are stored in the
# database as well (table ca_file) and every node writes them into its
# folder:
#  1. A leads and makes the CA, B follows: both serve the same GetCACert
#     (CA and RA certificate, byte for byte), the one the database holds;
#     B's folder has A's archive (NAME_00001.p12 and .pem) byte for byte;
#     a client enrolls through B (enveloped to the RA certificate).
#  2. A makes the rollover CA: both hand out the same GetNextCACert (the
#     rollover CA and the RA's successor); B's folder has archive 2.
#  3. A is killed -9: B takes over and answers an RA enrollment; at the
#     end of the CA B promotes: it serves the rollover CA with the RA
#     successor of step 2, and a client enrolls through it with them;
#     A, started again, follows and serves the same.
# Every certificate a client received is in PostgreSQL byte for byte.
NODES="a b"
declare -A PORT=([a]=18141 [b]=18142)
RA_CERT=auto
NODE_EXTRA="database archive pkcs12 password archive-secret"
. tests/ca/pg_ha_lib.sh
ha_setup
PAUSE[a]=
PAUSE[b]=

stored() { # stored NAME: the ca_file row's data, hex
	pg_sql "SELECT encode(data, 'hex') FROM ca_file WHERE server = '$CA_NAME'
		AND name = '$1'"
}
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# GetCACert of node N: $T/N/ca.der and $T/N/ra.der (strongSwan's split).
scepca() {
	local d=$T/$1/got-ca
	rm -rf "$d" && mkdir -p "$d"
	timeout 60 pki --scepca --url "$(url $1)" --caout "$d/ca.der" --raout "$d/ra.der" \
		>"$d/log" 2>&1 || fail "GetCACert $1: $(cat "$d/log")"
	[ -f "$d/ra.der" ] || mv "$d/ra-1.der" "$d/ra.der" 2>/dev/null
	[ -f "$d/ra.der" ] || fail "no RA certificate from $1"
}
# enroll_ra NODE NAME: a client enrolls through NODE, enveloped to the RA
# certificate in $T/ra.der, under the CA in $T/ca.der (lab time).
enroll_ra() {
	local when key
	key=$(client_key "$2") || fail "no key for $2"
	when=$(lab_time)
	TZ=UTC timeout 60 faketime -f "@$when" pki --scep --url "$(url $1)" --in "$key" \
		--dn "CN=$2,O=pkid test" --cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" \
		--cacert "$T/ca.der" --interval 1 --maxpolltime 10 >"$T/got/$2.der" 2>"$T/got/$2.log" ||
		fail "$2 through $1: $(tail -3 "$T/got/$2.log")"
}
same_folder_file() { # same_folder_file NAME: a's and b's copies, stored
	local f=$1
	[ -s "$T/a/db/$f" ] || fail "a has no $f"
	cmp -s "$T/a/db/$f" "$T/b/db/$f" || fail "b's $f is not a's"
	[ "$(stored "$f")" = "$(hex "$T/a/db/$f")" ] || fail "$f is not stored as a made it"
}

# 1. Both nodes, one RA certificate, the archive on both.
node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
scepca a
scepca b
cmp -s "$T/a/got-ca/ca.der" "$T/b/got-ca/ca.der" || fail "a and b serve different CAs"
cmp -s "$T/a/got-ca/ra.der" "$T/b/got-ca/ra.der" ||
	fail "a and b serve different RA certificates"
[ "$(stored "$CA_NAME-ra.cer")" = "$(hex "$T/a/got-ca/ra.der")" ] ||
	fail "the RA certificate served is not the one stored"
cp "$T/a/got-ca/ca.der" "$T/ca.der"
cp "$T/a/got-ca/ra.der" "$T/ra.der"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "ca.der"
openssl verify -CAfile "$T/ca.pem" <(openssl x509 -inform der -in "$T/ra.der") >/dev/null ||
	fail "the RA certificate is not the CA's"
same_folder_file "${CA_NAME}_00001.p12"
same_folder_file "${CA_NAME}_00001.pem"
[ "$(stat -c %a "$T/b/db/${CA_NAME}_00001.p12")" = 600 ] || fail "b's archive is not 0600"
enroll_ra b first-b
echo "ok: a and b serve one RA certificate (the stored one); b has a's archive; b enrolls"

# 2. The rollover CA: one RA successor, archive 2 on both.
end=$(cert_time "$T/ca.pem" end)
lab_to $((end - 240 + 5))
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 2 ] && break; sleep 0.05; done
[ "$(db_step)" = 2 ] || fail "no rollover CA in 15 s (step $(db_step))"
for n in $NODES; do
	for ((i = 0; i < 100; i++)); do
		(URL=$(url $n) next_ca "$T/next-$n" "$T/ca.pem") >/dev/null 2>&1 &&
			[ -f "$T/next-$n/next-ra.der" ] && break
		sleep 0.1
	done
	[ -f "$T/next-$n/next-ra.der" ] || fail "node $n: no GetNextCACert with an RA certificate"
done
cmp -s "$T/next-a/next-ca.der" "$T/next-b/next-ca.der" || fail "two rollover CAs"
cmp -s "$T/next-a/next-ra.der" "$T/next-b/next-ra.der" ||
	fail "a and b hand out different RA successors"
[ "$(stored "$CA_NAME-ra-rollover.cer")" = "$(hex "$T/next-a/next-ra.der")" ] ||
	fail "the RA successor handed out is not the one stored"
for ((i = 0; i < 50; i++)); do [ -s "$T/b/db/${CA_NAME}_00002.pem" ] && break; sleep 0.1; done
same_folder_file "${CA_NAME}_00002.p12"
same_folder_file "${CA_NAME}_00002.pem"
echo "ok: one rollover CA and RA successor on a and b; b has archive 2"

# 3. The leader killed: b takes over and enrolls through the RA, then
# promotes; a comes back as a follower.
kill -KILL "${PID[a]}"
t0=$(date +%s.%N)
{ wait "${PID[a]}"; } 2>/dev/null
PID[a]=
for ((i = 0; i < 150; i++)); do [ "$(role b)" = leader ] && break; sleep 0.1; done
[ "$(role b)" = leader ] || fail "b did not take over in 15 s"
printf 'ok: a killed; b leads %.2f s after\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
enroll_ra b after-kill-b
echo "ok: b answers an RA enrollment after the takeover"
lab_to $((end + 3))
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 0 ] && break; sleep 0.05; done
[ "$(db_step)" = 0 ] || fail "b did not promote in 15 s (step $(db_step))"
for ((i = 0; i < 100; i++)); do
	scepca b
	cmp -s "$T/b/got-ca/ca.der" "$T/next-a/next-ca.der" && break
	sleep 0.1
done
cmp -s "$T/b/got-ca/ca.der" "$T/next-a/next-ca.der" || fail "b does not serve the rollover CA"
cmp -s "$T/b/got-ca/ra.der" "$T/next-a/next-ra.der" ||
	fail "b serves another RA certificate than the successor of step 2"
[ "$(stored "$CA_NAME-ra.cer")" = "$(hex "$T/next-a/next-ra.der")" ] ||
	fail "the promoted RA certificate is not the one stored"
cp "$T/next-a/next-ca.der" "$T/ca.der"
cp "$T/next-a/next-ra.der" "$T/ra.der"
enroll_ra b promoted-b
node_start a
[ "$(role a)" = follower ] || fail "a started again: role '$(role a)', want follower"
scepca a
cmp -s "$T/a/got-ca/ca.der" "$T/ca.der" && cmp -s "$T/a/got-ca/ra.der" "$T/ra.der" ||
	fail "a, started again, serves another CA or RA certificate than b"
enroll_ra a promoted-a
echo "ok: b promoted: the RA successor is the RA certificate of both; a follows"

got_in_db
got=$GOT
[ $got = 4 ] || fail "$got certificates received, want 4"
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
echo "ok: $got certificates received, all in PostgreSQL byte for byte"
echo "check-pg-ra: OK"
