#!/bin/bash
# tests/fuzz/capture-scep.sh: (re)makes the SCEP seeds of fuzz-scep from
# real traffic.  A pkid in single-key mode (the CA key decrypts the
# envelopes) serves strongSwan's `pki --scep` through a recording proxy;
# every PKIOperation request is kept as a seed (POST bodies as they came,
# and as the GET query strings RFC 8894 §4.3 allows), and the CA's
# certificate and key (out of pkid's encrypted PKCS#12 archive) go to
# tests/fuzz/scep/ so that the harness decrypts what strongSwan encrypted;
# then mkseeds.py derives the inner-content seeds from them.
# A one-off tool, not a check: run from the top of the tree, as root.
. tests/ca/lib.sh
SEEDS=tests/fuzz/corpus/scep
KEYS=tests/fuzz/scep
ca_setup 18380
PROXY_PORT=18381
ca_conf "grant auto"
ca_start -m single

mkdir -p "$T/rec" "$SEEDS" "$KEYS"
# The recorder: forwards every request to pkid, keeps PKIOperations.
python3 - "$PROXY_PORT" "$PORT" "$T/rec" <<'PY' &
import http.server, sys, urllib.request, itertools
port, target, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def fwd(self, body=None):
        if "PKIOperation" in self.path:
            with open(f"{out}/{next(n):02d}.{self.command}", "wb") as f:
                f.write(body if body is not None else
                        self.path.split("?", 1)[1].encode())
        r = urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{target}{self.path}", data=body,
            method=self.command), timeout=10)
        data = r.read()
        self.send_response(r.status)
        self.send_header("Content-Type", r.headers["Content-Type"])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.fwd()
    def do_POST(self):
        self.fwd(self.rfile.read(int(self.headers["Content-Length"])))
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
PROXY_PID=$!
trap 'kill $PROXY_PID 2>/dev/null; ca_cleanup' EXIT
URL=http://127.0.0.1:$PROXY_PORT/cgi-bin/pkiclient.exe
# Until the proxy answers (bounded: 10 s), not a fixed pause.
for ((i = 0; i < 100; i++)); do
	curl -s -o /dev/null "$URL?operation=GetCACaps" && break
	kill -0 $PROXY_PID 2>/dev/null || fail "the capturing proxy exited"
	sleep 0.1
done
curl -sf -o "$T/ca.der" "$URL?operation=GetCACert" || fail "GetCACert"
cp "$T/ca.der" "$T/ra.der"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem"

pw=$(ctl --json "server password generate" $CA_NAME 10 |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
sw_enroll aes --password "$pw" --cipher aes || fail "aes enroll"
sw_enroll des3 --cipher des3 --digest sha1 || fail "des3 enroll"
pki --gen --size 2048 >"$T/aes2.key"
pki --scep --url "$URL" --in "$T/aes2.key" --dn "CN=aes,O=pkid test" \
	--cacert-enc "$T/ca.der" --cacert-sig "$T/ca.der" --cacert "$T/ca.der" \
	--cert "$T/aes.der" --key "$T/aes.key" >"$T/aes2.der" 2>"$T/aes2.log" ||
	fail "renewal: $(cat "$T/aes2.log")"

# Seeds: the first byte says GET (even) or POST (odd), as fuzz_scep.c reads.
rm -f "$SEEDS"/sw-*
for f in "$T"/rec/*; do
	b=$(basename "$f")
	case $b in
	*.POST)
		{ printf '\001'; cat "$f"; } >"$SEEDS/sw-${b%.POST}-post"
		# The same message as a GET, base64 and percent-escaped.
		{ printf '\000operation=PKIOperation&message='
		  base64 -w0 "$f" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g'; } \
			>"$SEEDS/sw-${b%.POST}-get" ;;
	*.GET)
		{ printf '\000'; cat "$f"; } >"$SEEDS/sw-${b%.GET}-get" ;;
	esac
done
openssl pkcs12 -in "$T/db/${CA_NAME}_00001.p12" -passin pass:archive-secret \
	-nocerts -nodes 2>/dev/null | openssl pkey -out "$KEYS/ca-key.pem" ||
	fail "cannot open the archive"
cp "$T/ca.pem" "$KEYS/ca-cert.pem"
# The inner-content seeds come out of these requests with the new key.
python3 tests/fuzz/mkseeds.py || fail "mkseeds.py"
ls -l "$SEEDS" "$KEYS"
echo "capture-scep: OK"
