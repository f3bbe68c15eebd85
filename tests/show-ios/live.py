#!/usr/bin/python3
"""live.py T RENEW: pkictl's IOS views of a running CA and trustpoint
(files in T, written by live.sh) parsed with our templates; every parsed
field must equal what openssl and pkictl --json say.  RENEW is TP1's
RENEW deadline (epoch seconds)."""
import base64
import calendar
import json
import os
import re
import subprocess
import sys
import time

from parse import parse

T, RENEW = sys.argv[1], int(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
bad = []


def tpl(name):
    return os.path.join(HERE, "templates", name + ".textfsm")


def load(name):
    with open(os.path.join(T, name)) as f:
        return json.load(f)


def expect(what, got, want):
    if got != want:
        bad.append(f"{what}: {got!r}, want {want!r}")


def ios_time(epoch):
    tm = time.gmtime(epoch)
    return time.strftime("%H:%M:%S UTC %b ", tm) + f"{tm.tm_mday} {tm.tm_year}"


def openssl(pem, *args):
    return subprocess.run(["openssl", "x509", "-noout", *args], input=pem,
                          capture_output=True, text=True, check=True).stdout


def fp(pem, md):
    hexs = openssl(pem, "-fingerprint", "-" + md).split("=", 1)[1]
    hexs = hexs.strip().replace(":", "")
    return " ".join(hexs[i:i + 8] for i in range(0, len(hexs), 8))


def serial(pem):
    return int(openssl(pem, "-serial").split("=", 1)[1], 16)


def end(pem):
    d = openssl(pem, "-enddate", "-dateopt", "iso_8601").split("=", 1)[1]
    return calendar.timegm(time.strptime(d.strip(), "%Y-%m-%d %H:%M:%SZ"))


def pems(path):
    with open(path) as f:
        return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END "
                          r"CERTIFICATE-----\n", f.read(), re.S)


server = load("server.json")
# The CA's certificate: the one of GetCACert pkid names by its SHA-256.
ca = [p for p in pems(os.path.join(T, "ca.pem"))
      if fp(p, "sha256").replace(" ", "") == server["fingerprint"]]
expect("the CA certificate in GetCACert", len(ca), 1)
ca = ca[0] if ca else pems(os.path.join(T, "ca.pem"))[0]
ident = pems(os.path.join(T, "tp1.pem"))[0]

# ---- show crypto pki server
s = parse(tpl("show_crypto_pki_server"), os.path.join(T, "server.txt"))
expect("server records", len(s), 1)
s = s[0]
for k, v in {"NAME": "TESTCA", "STATUS": "enabled", "STATE": "enabled",
             "LOCKED": "locked", "ISSUER": server["issuer"],
             "FINGERPRINT": fp(ca, "md5"), "GRANT": server["grant"],
             "LAST_SERIAL": "%X" % server["last_serial"],
             "CA_EXPIRES": ios_time(end(ca)), "STORAGE": server["storage"],
             "DB_LEVEL": server["database_level"].capitalize(),
             "ROLLOVER_STATUS": server["rollover_status"],
             "AUTO_ROLLOVER": "30 days"}.items():
    expect(f"server {k}", s[k], v)
expect("server CRL_NEXT_UPDATE",
       s["CRL_NEXT_UPDATE"] != "" and s["CRL_NEXT_UPDATE"], s["CRL_NEXT_UPDATE"])

# ---- show crypto pki server requests: the rows of --json, each in IOS's
# words (pkid's issued is IOS's granted), the fingerprint the CSR's MD5.
IOS_KEYS = {"CN": "cn", "O": "o", "OU": "ou", "C": "c", "L": "l", "ST": "st",
            "emailAddress": "e", "unstructuredName": "hostname",
            "serialNumber": "serialNumber"}


def ios_name(oneline):
    """OpenSSL's "/CN=a/O=b" as IOS's one line "o=b,cn=a" (benign names)."""
    parts = [p.split("=", 1) for p in oneline.split("/")[1:]]
    return ",".join(f"{IOS_KEYS.get(k, k)}={v}" for k, v in reversed(parts))


rj = load("requests.json")
rq = parse(tpl("show_crypto_pki_server_requests"), os.path.join(T, "requests.txt"))
expect("request rows", sorted(int(r["REQID"]) for r in rq), sorted(j["id"] for j in rj))
expect("TP1's request issued", [j["state"] for j in rj if j["state"] == "issued"] != [], True)
for r in rq:
    j = next((j for j in rj if j["id"] == int(r["REQID"])), None)
    if j is None:
        continue
    sec = {"Router": "router", "RA": "ra", "Subordinate CA": "subordinate_ca"}
    expect(f"request {j['id']} section", sec[r["SECTION"]], "router")
    expect(f"request {j['id']} section (json)", j["section"], "router")
    expect(f"request {j['id']} state", r["STATE"],
           "granted" if j["state"] == "issued" else j["state"])
    expect(f"request {j['id']} fingerprint", r["FINGERPRINT"], j["md5"])
    expect(f"request {j['id']} subject", r["SUBJECT"], ios_name(j["subject"]))

# ---- show crypto pki timers: the same timers as --json, each countdown
# between the two --json readings taken around the text.
def ms(cd):
    m = re.fullmatch(r"(?:(\d+)d\s?)?(?:(\d+):)?(?:(\d+):)?(\d+)\.(\d{3})", cd)
    d, a, b, sec, milli = m.groups()
    h, mi = (a, b) if b is not None else (None, a)
    return ((((int(d or 0) * 24 + int(h or 0)) * 60 + int(mi or 0)) * 60
             + int(sec)) * 1000 + int(milli))


CS = {"CS CRL UPDATE", "CS SHADOW CERT GENERATION", "CS CERT EXPIRE",
      "ER EXPIRE"}
t1, t2 = load("timers1.json")["timers"], load("timers2.json")["timers"]
text = parse(tpl("show_crypto_pki_timers"), os.path.join(T, "timers.txt"))


def name_of(t):
    n = t["kind"] + (":" + t["label"] if "label" in t else "")
    return ("CS", n) if t["kind"] in CS else ("PKI", n + " " + t["owner"])


expect("timers", sorted((r["GROUP"], r["NAME"]) for r in text),
       sorted(name_of(t) for t in t1))
for r in text:
    a = [t for t in t1 if name_of(t) == (r["GROUP"], r["NAME"])]
    b = [t for t in t2 if name_of(t) == (r["GROUP"], r["NAME"])]
    if len(a) == 1 and len(b) == 1:
        hi, lo = a[0]["remaining_ms"] or 0, b[0]["remaining_ms"] or 0
        if not lo - 1 <= ms(r["COUNTDOWN"]) <= hi:
            bad.append(f"timer {r['NAME']}: {r['COUNTDOWN']} not in "
                       f"[{lo}, {hi}] ms")
expect("RENEW TP1 in PKI Timers",
       [r["GROUP"] for r in text if r["NAME"] == "RENEW TP1"], ["PKI"])

# ---- show crypto pki certificates on the CA: its rollover and its own
# certificate first, then each issued certificate, as --json lists them.
c = parse(tpl("show_crypto_pki_certificates"), os.path.join(T, "ca-certs.txt"))
issued = [j for j in load("ca-certs.json") if not j.get("rollover_ca")]
own = ["CA Certificate (Rollover)", "CA Certificate"] + \
    (["RA Signature Certificate"] if server["key_mode"] == "ra" else [])
expect("CA blocks", [r["TYPE"] for r in c], own + ["Certificate"] * len(issued))
if len(c) == len(own) + len(issued):
    expect("CA serial", int(c[1]["SERIAL"], 16), serial(ca))
    expect("CA end date", c[1]["END_DATE"], ios_time(end(ca)))
    expect("CA trustpoint", c[1]["TRUSTPOINTS"], "TESTCA")
    expect("CA usage", c[1]["USAGE"], "Signature")
    expect("CA issuer = subject", c[1]["ISSUER"], c[1]["SUBJECT"])
    expect("rollover trustpoint", c[0]["TRUSTPOINTS"], "TESTCA")
    for r, j in zip(c[len(own):], issued):
        expect(f"serial {j['serial']}", int(r["SERIAL"], 16), j["serial"])
        expect(f"status {j['serial']}", r["STATUS"],
               "Revoked" if j["revoked"] else "Available")
        expect(f"issuer {j['serial']}", r["ISSUER"], c[1]["SUBJECT"])
        expect(f"start {j['serial']}", r["START_DATE"],
               ios_time(calendar.timegm(time.strptime(j["not_before"],
                        "%Y-%m-%dT%H:%M:%SZ"))))
    expect("TP1's certificate among the issued", serial(ident) in
           [int(r["SERIAL"], 16) for r in c[len(own):]], True)

# ---- show crypto pki certificates TP1: identity, then the CA.
c = parse(tpl("show_crypto_pki_certificates"), os.path.join(T, "tp-certs.txt"))
expect("TP1 blocks", [r["TYPE"] for r in c][:2],
       ["Certificate", "CA Certificate"])
if len(c) >= 2:
    expect("identity serial", int(c[0]["SERIAL"], 16), serial(ident))
    expect("identity end date", c[0]["END_DATE"], ios_time(end(ident)))
    expect("identity renew date", c[0]["RENEW_DATE"], ios_time(RENEW))
    expect("identity subject", "cn=router1" in c[0]["SUBJECT"], True)
    expect("identity trustpoint", c[0]["TRUSTPOINTS"], "TP1")
    expect("identity status", c[0]["STATUS"], "Available")
    expect("TP1 CA serial", int(c[1]["SERIAL"], 16), serial(ca))
    expect("identity issuer", c[0]["ISSUER"], c[1]["SUBJECT"])

# ---- show crypto key mypubkey rsa: the keys --json lists, same data.
k = parse(tpl("show_crypto_key_mypubkey_rsa"), os.path.join(T, "keys.txt"))
kj = load("keys.json")["keys"]
expect("key names", [r["NAME"] for r in k], [j["name"] for j in kj])
for r, j in zip(k, kj):
    der = base64.b64decode("".join(j["public_key"].splitlines()[1:-1]))
    expect(f"key data {j['name']}", "".join(r["KEY_DATA"]).replace(" ", ""),
           der.hex().upper())
    expect(f"key usage {j['name']}", r["USAGE"],
           {"sign": "Signature Key", "decrypt": "Encryption Key"}.get(
               j["usage"], "General Purpose Key"))

# ---- show crypto pki trustpoints [status]
tp = parse(tpl("show_crypto_pki_trustpoints"), os.path.join(T, "tps.txt"))
expect("trustpoints", [r["NAME"] for r in tp], ["TP1"])
if tp:
    expect("TP1 CA serial (trustpoints)", int(tp[0]["SERIAL"], 16), serial(ca))
    expect("TP1 configured", tp[0]["CONFIGURED"], "Certificate configured")
    expect("TP1 URL", tp[0]["URL"], os.environ["URL"])
st = parse(tpl("show_crypto_pki_trustpoints_status"),
           os.path.join(T, "tps-status.txt"))
expect("trustpoints status", [r["NAME"] for r in st], ["TP1"])
if st:
    for key, v in {"CA_MD5": fp(ca, "md5"), "CA_SHA1": fp(ca, "sha1"),
                   "ID_MD5": fp(ident, "md5"), "ID_SHA1": fp(ident, "sha1"),
                   "LAST_STATUS": "Granted", "CA_AUTHENTICATED": "Yes",
                   "REQUESTS": "Yes",
                   "KEYS": "Yes (General Purpose, non-exportable)"}.items():
        expect(f"status {key}", st[0][key], v)

for b in bad:
    print("FAIL:", b)
if not bad:
    print("ok: every IOS view parses and says what openssl and --json say")
sys.exit(1 if bad else 0)
