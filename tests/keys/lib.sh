# shellcheck shell=bash
# Helpers of the key persistence tests (source from the top of the tree,
# after tests/ca/lib.sh or tests/client/lib.sh).  Ports 18800-18849.  The
# pkiksd twin gets a key-encryption key from a 32-byte file (mode 0600) in
# the test's temp dir; "restarting the keystore" is stopping pkiksd (its
# keys are gone: it holds them in memory only) and starting it again with
# the same KEK file, then moving its lab clock back to where it was.
#
#   kek_on                   write $T/kek, restart pkiksd with --kek-file
#   ks_restart [live] [wipe] pkiksd stop + start (same KEK), lab time kept;
#                            checks the keystore came back empty unless
#                            live (pkid running, it restores at once);
#                            wipe: pkiksd's state dir too (its timers and
#                            lab offset), as a reboot or module reload
#   wait_log FILE REGEX N    until FILE has N lines matching (10 s)
#   ks_keys                  the keystore's key names, one a line
#   blob_names               pkid's stored blobs (DB), one a line
#   blob_pub NAME            stored public key (hex) of NAME's blob
#   ks_pub NAME              keystore public key (hex, SPKI DER) of NAME
#   blob_flip DB NAME        flip one ciphertext byte of NAME's blob
#   blob_swap DB A B         swap the blobs (not the public keys) of A and B
#   count_in FILE REGEX      lines of FILE matching REGEX

kp_now() {
	$B/pkictl --json show clock | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["now_ns"] // 10**9)'
}

kek_on() {
	ks_twin_stop
	head -c 32 /dev/urandom >"$T/kek" && chmod 0600 "$T/kek" || fail "kek file"
	KS_TWIN_ARGS="--kek-file $T/kek"
	ks_twin_start "$T/ks" --lab || fail "pkiksd --kek-file did not start"
	$B/pkictl clock calendar-valid >/dev/null || fail "clock calendar-valid"
}

ks_restart() {
	local then now live=
	then=$(kp_now) || fail "lab clock"
	ks_twin_stop
	case " $* " in *" wipe "*) rm -rf "$T/ks/state" ;; esac
	case " $* " in *" live "*) live=1 ;; esac
	ks_twin_start "$T/ks" --lab || fail "pkiksd did not restart"
	[ -n "$live" ] || [ -z "$(ks_keys)" ] ||
		fail "keys survived a pkiksd restart: $(ks_keys)"
	# pkiksd keeps its lab offset in its state dir; it shows once the
	# clock is authoritative again.  Never let lab time go backwards.
	$B/pkictl clock calendar-valid >/dev/null || fail "clock calendar-valid"
	now=$(kp_now)
	if [ "$then" -gt "$now" ]; then
		$B/lab-advance $((then - now)) >/dev/null || fail "lab-advance"
	fi
}

ks_keys() {
	$B/pkictl --json show keys 2>/dev/null | python3 -c \
		"import json,sys; d=json.load(sys.stdin); k=d['keys'] if isinstance(d,dict) else d; print('\n'.join(sorted(x['name'] for x in k)))"
}

# The keystore's SubjectPublicKeyInfo of $1, as hex (compare with blob_pub).
ks_pub() {
	$B/pkictl --json show keys 2>/dev/null | python3 -c "
import json,sys,base64
d=json.load(sys.stdin); k=d['keys'] if isinstance(d,dict) else d
for x in k:
    if x['name']=='$1':
        pem=''.join(l for l in x['public_key'].splitlines() if not l.startswith('-----'))
        print(base64.b64decode(pem).hex())"
}

# $1 = database file
blob_names() {
	sqlite3 "$1" "select name from key_blob order by name"
}

blob_pub() {
	sqlite3 "$1" "select hex(pubkey) from key_blob where name = '$2'" |
		tr 'A-F' 'a-f'
}

# Flip one byte of the ciphertext (after the 86-byte header) of $2's blob.
blob_flip() {
	python3 - "$1" "$2" <<-'PY' || fail "blob_flip $2"
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	(b,) = db.execute("select blob from key_blob where name = ?", (sys.argv[2],)).fetchone()
	b = bytearray(b)
	b[120] ^= 0x01
	db.execute("update key_blob set blob = ? where name = ?", (bytes(b), sys.argv[2]))
	db.commit()
	PY
}

count_in() {
	grep -c -E "$2" "$1" 2>/dev/null || true
}

wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(count_in "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: $(count_in "$1" "$2") lines match '$2', want $3"
}

blob_swap() {
	python3 - "$1" "$2" "$3" <<-'PY' || fail "blob_swap $2 $3"
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	get = lambda n: db.execute("select blob from key_blob where name = ?", (n,)).fetchone()[0]
	a, b = get(sys.argv[2]), get(sys.argv[3])
	db.execute("update key_blob set blob = ? where name = ?", (b, sys.argv[2]))
	db.execute("update key_blob set blob = ? where name = ?", (a, sys.argv[3]))
	db.commit()
	PY
}
