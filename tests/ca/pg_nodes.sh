#!/bin/bash
# check-pg-two-nodes: two pkid nodes with the same server configuration
# serve one CA from one PostgreSQL (issue 18, the storage part; they share
# one pkiksd and the `database url` folder here; nodes with a keystore and
# a folder each: check-pg-ha, and check-pg-ra for the RA certificate).
#  - both serve the same GetCACert;
#  - a one-time password made on node A grants once through node B, and
#    is refused when used again through node A;
#  - a request pending on node B is granted by the operator on node A,
#    and the client polling node B receives its certificate;
#  - eight clients enroll at once, alternately through A and B: every
#    certificate any client received is in PostgreSQL byte for byte, and
#    no serial is there twice.
# Leadership, takeover and the publication of one node's state changes
# on the others: check-pg-ha, check-pg-fence, check-pg-ra.
CA_PG=1
. tests/ca/lib.sh
ca_setup 18118
ca_conf "! manual granting: no grant line"
ca_start
URL_A=$URL
PORT_B=18119
URL_B=http://127.0.0.1:$PORT_B/cgi-bin/pkiclient.exe
sed -e "s/^ip http server $PORT\$/ip http server $PORT_B/" \
	-e "s|^control-socket .*|control-socket $T/pkidB.ctl|" \
	"$T/pkid.conf" >"$T/pkidB.conf"
grep -q "ip http server $PORT_B" "$T/pkidB.conf" || fail "node B's conf"
$B/pkid -f -c "$T/pkidB.conf" -s "$T/stateB" \
	-P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" >>"$T/pkidB.log" 2>&1 &
PID_B=$!
trap 'kill -KILL $PID_B 2>/dev/null; ca_cleanup' EXIT
for ((i = 0; i < 200; i++)); do
	curl -sf -o /dev/null "$URL_B?operation=GetCACert" && break
	kill -0 $PID_B 2>/dev/null || { tail "$T/pkidB.log"; fail "node B exited"; }
	sleep 0.05
done
curl -sf -o "$T/cacertB" "$URL_B?operation=GetCACert" || fail "node B: no GetCACert in 10 s"
curl -sf -o "$T/cacertA" "$URL_A?operation=GetCACert" || fail "node A: GetCACert"
cmp -s "$T/cacertA" "$T/cacertB" || fail "the nodes serve different CA certificates"
echo "ok: two nodes, one CA: the same GetCACert"
ctlB() { $B/ctl-call "$T/pkidB.ctl" "$@"; }

sw_scepca
otp() { ctl --json "server password generate" $CA_NAME 10 |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p'; }

# 1. A one-time password from node A, used through node B, then A.
pw=$(otp)
[ -n "$pw" ] || fail "no one-time password"
URL=$URL_B sw_enroll frank --password "$pw" --interval 1 --maxpolltime 5 ||
	fail "frank through B: $(tail -3 "$T/frank.log")"
verify "$T/frank.pem"
URL=$URL_A sw_enroll mallory --password "$pw" --interval 1 --maxpolltime 5 &&
	fail "node A accepted a password node B consumed"
grep -q badRequest "$T/mallory.log" || fail "mallory: $(tail -3 "$T/mallory.log")"
echo "ok: one-time password from A: granted once through B, refused through A"

# 2. Pending on B, granted on A, delivered to the client polling B.
URL=$URL_B sw_enroll dave --interval 1 --maxpolltime 60 &
client=$!
for ((i = 0; i < 100; i++)); do
	# jq, not python3: its start took seconds at load (a pyenv shim)
	id=$(ctl --json "show requests" $CA_NAME | jq -r '.[] |
		select(.state == "pending" and (.subject | contains("CN=dave"))) |
		.id' 2>/dev/null | head -1)
	[ -n "$id" ] && break
	sleep 0.1
done
[ -n "$id" ] || fail "node A never saw dave's request (sent to node B) pending"
ctl "server grant" $CA_NAME "$id" >/dev/null || fail "grant $id on A"
wait $client || fail "dave: $(tail -5 "$T/dave.log")"
verify "$T/dave.pem"
grep -q "CertPoll" "$T/pkidB.log" || fail "dave did not poll node B"
echo "ok: pending on B, granted on A, issued to the client polling B"

# 3. Eight at once, alternately through A and B, each with its password.
pids=()
for n in 1 2 3 4 5 6 7 8; do
	pw=$(otp)
	u=$URL_A
	[ $((n % 2)) = 0 ] && u=$URL_B
	URL=$u sw_enroll "c$n" --password "$pw" --interval 1 --maxpolltime 30 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent enrollment failed"; done
for n in frank dave c1 c2 c3 c4 c5 c6 c7 c8; do
	verify "$T/$n.pem"
	s=$((16#$(openssl x509 -in "$T/$n.pem" -noout -serial | cut -d= -f2)))
	got=$(pg_sql "SELECT encode(der, 'hex') FROM cert WHERE server = '$CA_NAME' AND serial = $s")
	[ "$got" = "$(od -An -v -tx1 "$T/$n.der" | tr -d ' \n')" ] ||
		fail "$n (serial $s): not in PostgreSQL byte for byte"
done
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
grep -q CS_GRANT "$T/pkid.log" && grep -q CS_GRANT "$T/pkidB.log" ||
	fail "not both nodes issued"
echo "ok: 8 concurrent enrollments through both nodes: in PostgreSQL byte for byte, serials unique"

kill -TERM $PID_B
ca_kill TERM || fail "node A did not stop cleanly"
echo "check-pg-two-nodes: OK"
