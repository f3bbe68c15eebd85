# shellcheck shell=bash
# Helpers of bench-crl and bench-rss (source after tests/ca/lib.sh).
#
#   bench_ca PORT             pkiksd twin + pkid (grant auto) on PORT, one
#                             real enrollment (crash-storm), pkid stopped;
#                             $REAL_SERIAL is that certificate's serial
#   populate COUNT REVOKED    COUNT more certificates in the database, SQL
#                             in one transaction, each a copy of the real
#                             one's DER under a new serial (REVOKED=1: all
#                             revoked, reasons 0-5); the counter follows
#   ms_since T0               milliseconds since T0 (date +%s%N)

bench_ca() {
	ca_setup "$1"
	ca_conf "grant auto"
	ca_start
	mkdir -p "$T/out" "$T/keys"
	$B/crash-storm --url "$URL" --out "$T/out" --keys "$T/keys" -n 1 -c 1 \
		>/dev/null || fail "first enrollment"
	REAL_SERIAL=$(sqlite3 "$T/state/pkid.db" \
		"SELECT max(serial) FROM cert WHERE server='$CA_NAME'")
	[ -n "$REAL_SERIAL" ] || fail "no certificate in the database"
	ca_kill TERM || fail "pkid did not stop"
}

populate() {
	local count=$1 revoked=$2
	sqlite3 -cmd ".timeout 10000" "$T/state/pkid.db" <<-EOF2 || fail "populate"
	BEGIN IMMEDIATE;
	WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq
	                          WHERE i < $count)
	INSERT INTO cert (server, serial, subject, not_before, not_after,
	                  fingerprint, der, issuer_fp, request_id, revoked_at,
	                  reason)
	SELECT c.server, l.last_serial + seq.i, c.subject || '/n=' || seq.i,
	       c.not_before, c.not_after, printf('%064X', seq.i), c.der,
	       c.issuer_fp, 0,
	       CASE WHEN $revoked THEN strftime('%s', 'now') - seq.i ELSE 0 END,
	       CASE WHEN $revoked THEN seq.i % 6 ELSE 0 END
	FROM seq, cert c, ca l
	WHERE c.server = '$CA_NAME' AND c.serial = $REAL_SERIAL
	  AND l.name = '$CA_NAME';
	UPDATE ca SET last_serial = last_serial + $count WHERE name = '$CA_NAME';
	COMMIT;
	EOF2
}

ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}
