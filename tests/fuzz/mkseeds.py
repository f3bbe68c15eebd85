#!/usr/bin/env python3
# tests/fuzz/mkseeds.py: (re)writes the seed corpora of fuzz-pkiks and
# fuzz-ctl, byte for byte the messages the real clients send:
#   corpus/pkiks/  pkiks requests as libshared/keystore.c builds them
#                  (nlmsghdr + genlmsghdr + attributes, uapi/pkiks.h), one
#                  per command, for the harness's key "FUZZKEY";
#   corpus/ctl/    control frames as libshared/ctl_client.c writes them
#                  (4-byte big-endian length + JSON, daemon/CONTROL.md);
#   corpus/scep/inner-*  the inner contents of the strongSwan requests that
#                  capture-scep.sh recorded (opened with `openssl cms` and
#                  the test CA's key), plus IssuerAndSubject and
#                  IssuerAndSerial for the test CA, as fuzz_scep.c's
#                  "inner content" inputs (first byte 2, then the type).
# Run from the top of the tree: python3 tests/fuzz/mkseeds.py
# (the RSA key of the import seed comes from `openssl genpkey`).
import os
import re
import struct
import subprocess

FAMILY = 0x7A00
F_REQUEST, F_ACK, F_DUMP = 0x1, 0x4, 0x300

(CMD_GET_INFO, CMD_KEY_IMPORT, CMD_KEY_GET, CMD_KEY_DELETE, CMD_KEY_PROMOTE,
 CMD_KEY_SIGN, CMD_KEY_DECRYPT, CMD_KEY_WRAP, CMD_KEY_UNWRAP, CMD_KEK_SET,
 CMD_CLOCK_GET, CMD_CLOCK_SET, CMD_CLOCK_LAB, CMD_TIMER_ARM, CMD_TIMER_CANCEL,
 CMD_TIMER_GET, CMD_EVENT) = range(1, 18)

A = {n: i for i, n in enumerate(
    "UNSPEC PAD VERSION FEATURES FLAGS OWNER_UID KEY KEY_NAME KEY_USAGE "
    "KEY_BITS KEY_PUBKEY RSA_N RSA_E RSA_D RSA_P RSA_Q RSA_DP RSA_DQ "
    "RSA_QINV HASH DIGEST SIGNATURE DATA WRAPPED KEK CLOCK_AUTHORITATIVE "
    "CLOCK_SOURCE CLOCK_NOW CLOCK_SINCE CLOCK_STEPS CLOCK_REALTIME "
    "CLOCK_LAB_SET CLOCK_LAB_ADVANCE TIMER TIMER_OWNER TIMER_KIND "
    "TIMER_DEADLINE TIMER_STATE EVENT".split())}


def attr(name, payload):
    hdr = struct.pack("<HH", 4 + len(payload), A[name])
    return hdr + payload + b"\0" * (-len(payload) % 4)


def u32(name, v):
    return attr(name, struct.pack("<I", v))


def u64(name, v):
    # as nla_put_u64_64bit: a PAD attribute first when needed for alignment
    return attr(name, struct.pack("<Q", v))


def string(name, s):
    return attr(name, s.encode() + b"\0")


def msg(cmd, attrs=b"", flags=F_REQUEST | F_ACK, seq=1):
    body = struct.pack("<BBH", cmd, 1, 0) + attrs
    return struct.pack("<IHHII", 16 + len(body), FAMILY, flags, seq, 0) + body


def rsa_parts():
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                          "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True).stdout
    text = subprocess.run(["openssl", "pkey", "-noout", "-text"], input=pem,
                          check=True, capture_output=True).stdout.decode()
    parts = {}
    for m in re.finditer(r"^(\w+):\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.M):
        parts[m.group(1)] = bytes.fromhex(
            re.sub(r"[\s:]", "", m.group(2))).lstrip(b"\0")
    parts["publicExponent"] = (65537).to_bytes(3, "big")
    return parts


def pkiks_seeds():
    name = string("KEY_NAME", "FUZZKEY")
    p = rsa_parts()
    imp = (string("KEY_NAME", "SEEDKEY") + u32("KEY_USAGE", 1) +
           b"".join(attr(a, p[k]) for a, k in (
               ("RSA_N", "modulus"), ("RSA_E", "publicExponent"),
               ("RSA_D", "privateExponent"), ("RSA_P", "prime1"),
               ("RSA_Q", "prime2"), ("RSA_DP", "exponent1"),
               ("RSA_DQ", "exponent2"), ("RSA_QINV", "coefficient"))))
    return {
        "get-info": msg(CMD_GET_INFO),
        "key-import": msg(CMD_KEY_IMPORT, imp),
        "key-get": msg(CMD_KEY_GET, name),
        "key-get-dump": msg(CMD_KEY_GET, flags=F_REQUEST | F_DUMP),
        "key-delete": msg(CMD_KEY_DELETE, name),
        "key-promote": msg(CMD_KEY_PROMOTE, string("KEY_NAME", "FUZZKEY")),
        "key-sign": msg(CMD_KEY_SIGN, name + u32("HASH", 2) +
                        attr("DIGEST", bytes(range(32)))),
        "key-decrypt": msg(CMD_KEY_DECRYPT, name +
                           attr("DATA", bytes([7]) * 256)),
        "key-wrap": msg(CMD_KEY_WRAP, name),
        "key-unwrap": msg(CMD_KEY_UNWRAP, attr(
            "WRAPPED", b"PKW1" + bytes(8) + bytes(10) + b"FUZZKEY".ljust(
                64, b"\0") + bytes(64))),
        "kek-set": msg(CMD_KEK_SET, attr("KEK", bytes(32))),
        "clock-get": msg(CMD_CLOCK_GET),
        "clock-set": msg(CMD_CLOCK_SET, u32("CLOCK_SOURCE", 1)),
        "clock-lab-set": msg(CMD_CLOCK_LAB,
                             u64("CLOCK_LAB_SET", 1800000000 * 10**9)),
        "clock-lab-advance": msg(CMD_CLOCK_LAB,
                                 u64("CLOCK_LAB_ADVANCE", 3600 * 10**9)),
        "timer-arm": msg(CMD_TIMER_ARM, string("TIMER_OWNER", "ROOTCA") +
                         u32("TIMER_KIND", 1) +
                         u64("TIMER_DEADLINE", 1800003600 * 10**9)),
        "timer-cancel": msg(CMD_TIMER_CANCEL, string("TIMER_OWNER", "ROOTCA")
                            + u32("TIMER_KIND", 1)),
        "timer-get-dump": msg(CMD_TIMER_GET, flags=F_REQUEST | F_DUMP),
        "event": msg(CMD_EVENT),
        # Several messages in one datagram, as a batch.
        "batch": msg(CMD_CLOCK_GET, seq=1) + msg(CMD_KEY_GET, name, seq=2) +
        msg(CMD_TIMER_GET, flags=F_REQUEST | F_DUMP, seq=3),
    }


def frame(body):
    b = body.encode()
    return struct.pack(">I", len(b)) + b


def ctl_seeds():
    return {
        "version": frame('{"cmd":"version","args":[]}'),
        "list-commands": frame('{"cmd":"list-commands"}'),
        "show": frame('{"cmd":"show thing","args":["ROOTCA","12"]}'),
        "bump": frame('{"cmd":"bump","args":["5"]}'),
        "show-server": frame('{"cmd":"show server","args":["ROOTCA"]}'),
        "two-frames": frame('{"cmd":"version","args":[]}') +
        frame('{"cmd":"show thing","args":["a"]}'),
        "unicode": frame('{"cmd":"show thing","args":["\\u00e9t\\u00e9"]}'),
    }


def der_read(b, i):
    """(tag, start of content, end) of the DER element at i."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def der_children(b, start, end):
    out, i = [], start
    while i < end:
        tag, cs, ce = der_read(b, i)
        out.append((tag, i, ce))
        i = ce
    return out


def der_seq(*parts):
    body = b"".join(parts)
    n = len(body)
    ln = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) \
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x30" + ln + body


def scep_inner_seeds(d="tests/fuzz/corpus/scep", keys="tests/fuzz/scep"):
    seeds = {}
    for name in sorted(os.listdir(d)):
        if not (name.startswith("sw-") and name.endswith("-post")):
            continue
        with open(os.path.join(d, name), "rb") as f:
            der = f.read()[1:]
        env = subprocess.run(["openssl", "cms", "-verify", "-noverify",
                              "-inform", "der", "-binary"], input=der,
                             check=True, capture_output=True).stdout
        csr = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "der",
                              "-binary", "-inkey", f"{keys}/ca-key.pem",
                              "-recip", f"{keys}/ca-cert.pem"], input=env,
                             check=True, capture_output=True).stdout
        seeds[name.replace("sw-", "inner-").replace("-post", "-csr")] = \
            b"\x02\x00" + csr
    cert = subprocess.run(["openssl", "x509", "-in", f"{keys}/ca-cert.pem",
                           "-outform", "der"], check=True,
                          capture_output=True).stdout
    _, cs, ce = der_read(cert, 0)
    tbs = der_children(cert, cs, ce)[0]
    _, ts, te = der_read(cert, tbs[1])
    f = der_children(cert, ts, te)   # version, serial, alg, issuer, ...
    issuer = cert[f[3][1]:f[3][2]]
    subject = der_seq(b"\x31\x0f\x30\x0d\x06\x03\x55\x04\x03\x0c\x06"
                      b"router")
    seeds["inner-certpoll"] = b"\x02\x02" + der_seq(issuer, subject)
    seeds["inner-getcert"] = b"\x02\x03" + der_seq(issuer, b"\x02\x01\x02")
    seeds["inner-getcrl"] = b"\x02\x04" + der_seq(issuer, b"\x02\x01\x01")
    return seeds


def write(d, seeds):
    os.makedirs(d, exist_ok=True)
    for n, data in seeds.items():
        with open(os.path.join(d, n), "wb") as f:
            f.write(data)


write("tests/fuzz/corpus/pkiks", pkiks_seeds())
write("tests/fuzz/corpus/ctl", ctl_seeds())
write("tests/fuzz/corpus/scep", scep_inner_seeds())
