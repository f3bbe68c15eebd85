#!/bin/bash
# check-hierarchy-nc: name constraints from the parent's configuration
# (`name-constraints`, ours: IOS has none; RFC 5280 §4.2.1.10).
#  - the root's `name-constraints` lines become a critical nameConstraints
#    extension in the sub's CA certificate (permitted DNS and IP, excluded
#    DNS), in no end-entity certificate;
#  - a router enrolling at the sub (SCEP) with a name inside verifies
#    root <- sub <- router with openssl verify;
#  - the sub refuses to issue names outside (another domain, an excluded
#    subdomain, an IP outside the prefix): the operator's grant of an
#    imported request fails and says why, nothing is issued; a
#    certificate with such a name would not verify (checked with openssl
#    verify on a copy of the chain made with openssl's own CA).
. tests/hierarchy/lib.sh
hi_setup 18928
ca_conf "grant auto" "name-constraints permit dns example.net" \
	"name-constraints exclude dns bad.example.net" "name-constraints permit ip 10.0.0.0/8"
ca_start
hi_sub_up
openssl x509 -in "$T/sub1.pem" -noout -text >"$T/sub1.txt"
grep -q "X509v3 Name Constraints: critical" "$T/sub1.txt" || hfail "sub1 has no critical nameConstraints"
awk '/Name Constraints/{f=1} f' "$T/sub1.txt" | head -8 | tr -d ' ' >"$T/nc.txt"
for want in Permitted: DNS:example.net IP:10.0.0.0/255.0.0.0 Excluded: DNS:bad.example.net; do
	grep -qxF "$want" "$T/nc.txt" || hfail "sub1's nameConstraints lack $want: $(cat "$T/nc.txt")"
done
openssl x509 -in "$T/root1.pem" -noout -text | grep -q "Name Constraints" &&
	hfail "the root's own certificate carries nameConstraints"
echo "ok: the sub's CA certificate carries the root's name constraints (critical)"

hi_router_up "subject-alt-name router1.example.net"
openssl x509 -in "$T/router1.pem" -noout -text | grep -q "Name Constraints" &&
	hfail "an end-entity certificate carries nameConstraints"
chain_ok "$(lab_now)" "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" ||
	hfail "router1.example.net does not verify root <- sub <- router"
echo "ok: a router inside (router1.example.net, SCEP) verifies root <- sub <- router"

# leaf NAME SAN: a CSR imported at the sub; prints its request ID.
leaf() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" -subj "/CN=$1/O=pkid test" \
		-addext "subjectAltName=$2" -out "$T/$1.csr" 2>/dev/null || hfail "csr $1"
	sp --json server SUB request import "$T/$1.csr" | jq -r .id
}
id=$(leaf in "DNS:r2.example.net,IP:10.1.2.3") || hfail "import in"
sp server SUB grant "$id" >/dev/null || hfail "grant of a name inside"
sp server SUB request export "$id" "$T/in.pem" >/dev/null || hfail "export in"
chain_ok "$(lab_now)" "$T/root1.pem" "$T/sub1.pem" "$T/in.pem" || hfail "r2.example.net does not verify"
for bad in "out DNS:r1.other.org" "excl DNS:x.bad.example.net" "ip DNS:r3.example.net,IP:192.168.1.1"; do
	set -- $bad
	id=$(leaf "$1" "$2") || hfail "import $1"
	sp server SUB grant "$id" >"$T/grant.out" 2>&1 && hfail "the sub issued $2"
	grep -q "CS_CSR_REFUSED.*request $id: a name outside this CA's name constraints" "$T/sub.log" ||
		hfail "no CS_CSR_REFUSED for $2: $(cat "$T/grant.out")"
	sp server SUB request export "$id" "$T/$1.pem" >/dev/null 2>&1 && hfail "$2 was exported"
done
echo "ok: the sub refuses other.org, bad.example.net (excluded) and 192.168.1.1 (outside 10/8)"

# What openssl verify makes of such names under the same constraints: a
# copy of the sub's nameConstraints on a CA of openssl's own.
cat >"$T/nc.cnf" <<-EOF
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;DNS:example.net,permitted;IP:10.0.0.0/255.0.0.0,excluded;DNS:bad.example.net
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/oca.key" -subj "/CN=openssl nc CA" \
	-days 2 -config /dev/null -extensions ca -extfile "$T/nc.cnf" -out "$T/oca.pem" 2>/dev/null ||
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/oca.key" -subj "/CN=openssl nc CA" \
		-days 2 -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "nameConstraints=critical,permitted;DNS:example.net,permitted;IP:10.0.0.0/255.0.0.0,excluded;DNS:bad.example.net" \
		-out "$T/oca.pem" 2>/dev/null || hfail "openssl CA"
for n in in out excl ip; do
	openssl x509 -req -in "$T/$n.csr" -CA "$T/oca.pem" -CAkey "$T/oca.key" -days 1 -copy_extensions copy \
		-out "$T/o-$n.pem" 2>/dev/null || hfail "openssl leaf $n"
done
openssl verify -CAfile "$T/oca.pem" "$T/o-in.pem" >/dev/null || hfail "openssl: inside refused"
for n in out excl ip; do
	openssl verify -CAfile "$T/oca.pem" "$T/o-$n.pem" >"$T/v.out" 2>&1 && hfail "openssl: $n verifies"
	grep -q "subtree violation" "$T/v.out" || hfail "openssl: $n: $(cat "$T/v.out")"
done
echo "ok: openssl verify refuses the same names under the same constraints"
echo "check-hierarchy-nc: OK"
