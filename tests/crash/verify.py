#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-crash: hold pkid's database to what the storm's clients received.

    verify.py DB SERVER OUT

OUT holds, over every round so far, TID.der (a certificate a client
received) and TID.pending (the CSR's SHA-256 of a request answered
PENDING).  The database is opened read-only while pkid runs.  Checked:
  - no serial number was handed to two clients;
  - each received certificate is in the database under its serial,
    byte for byte (so also with the same fingerprint);
  - the serial counter is at or above every serial in the database;
  - each request answered PENDING is still pending, same CSR;
  - each request marked issued points at a certificate that exists;
  - SQLite's integrity check passes.
Prints one summary line; exits 1 with one line per problem otherwise.
"""
import os
import sqlite3
import sys


def der_len(b, i):
    """Length of the DER element whose length octets start at b[i]."""
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def cert_serial(der):
    """Certificate -> tbsCertificate -> [0] version? -> serialNumber."""
    _, i = der_len(der, 1)  # into Certificate
    _, i = der_len(der, i + 1)  # into tbsCertificate
    if der[i] == 0xA0:  # explicit version: skip it
        n, j = der_len(der, i + 1)
        i = j + n
    if der[i] != 0x02:
        raise ValueError("no serialNumber INTEGER")
    n, j = der_len(der, i + 1)
    return int.from_bytes(der[j:j + n], "big", signed=True)


def main(db_path, server, out):
    errors = []
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        errors.append("integrity_check: %s" % ok)
    serials = {}
    certs = pending = 0
    for name in sorted(os.listdir(out)):
        tid, ext = os.path.splitext(name)
        path = os.path.join(out, name)
        if ext == ".der":
            certs += 1
            der = open(path, "rb").read()
            s = cert_serial(der)
            if s in serials:
                errors.append("serial %d reused: %s and %s" %
                              (s, serials[s], tid))
            serials[s] = tid
            row = db.execute("SELECT der FROM cert WHERE server=? AND "
                             "serial=?", (server, s)).fetchone()
            if row is None:
                errors.append("%s: serial %d not in the database" % (tid, s))
            elif bytes(row[0]) != der:
                errors.append("%s: serial %d differs in the database" %
                              (tid, s))
        elif ext == ".pending":
            pending += 1
            fp = open(path).read().strip()
            row = db.execute("SELECT state, fingerprint FROM request WHERE "
                             "server=? AND tid=?", (server, tid)).fetchone()
            if row is None:
                errors.append("pending request %s lost" % tid)
            elif row[0] != 0 or row[1] != fp:
                errors.append("pending request %s changed: state %d fp %s"
                              % (tid, row[0], row[1]))
    last = db.execute("SELECT last_serial FROM ca WHERE name=?",
                      (server,)).fetchone()
    top = db.execute("SELECT max(serial), count(*) FROM cert WHERE server=?",
                     (server,)).fetchone()
    if last is None or (top[0] or 0) > last[0]:
        errors.append("serial counter %s below the highest serial %s" %
                      (last and last[0], top[0]))
    for tid, s in db.execute("SELECT r.tid, r.serial FROM request r WHERE "
                             "r.server=? AND r.state=3 AND NOT EXISTS "
                             "(SELECT 1 FROM cert c WHERE c.server=r.server"
                             " AND c.serial=r.serial)", (server,)):
        errors.append("request %s issued serial %d: no such certificate" %
                      (tid, s))
    for e in errors:
        print("verify: " + e)
    if errors:
        return 1
    print("verify: %d received certificates (unique serials, all in the "
          "database), %d pending requests intact, %d certificates in the "
          "database, serial counter %d" % (certs, pending, top[1], last[0]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: verify.py DB SERVER OUT")
    sys.exit(main(*sys.argv[1:]))
