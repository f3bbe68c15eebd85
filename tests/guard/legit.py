#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A legitimate SCEP client's requests, timed, for bench-attack.

  legit.py HOST PORT GETCACERT REQDIR ENROLL PACE TIMEOUT

Asks GetCACert GETCACERT times, then posts the prepared PKIOperation
requests REQDIR/1.req .. REQDIR/ENROLL.req (one enrollment each), one
request at a time on a new connection, starting one every PACE seconds
at most (so that an XDP guard's per-source rate is not what slows it).
Each request gets TIMEOUT seconds in all.  Replies go to REQDIR/N.rep.
One line per request on stdout:

  getcacert|enroll OK|FAIL SECONDS STATUS-OR-ERROR

Standard library only.
"""
import http.client
import sys
import time


def one(host, port, timeout, method, path, body=None):
    """(ok, seconds, what, reply body) of one request on its own connection."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if body is not None:
            headers["Content-Type"] = "application/x-pki-message"
        conn.request(method, path, body=body, headers=headers)
        rep = conn.getresponse()
        data = rep.read()
        ok = rep.status == 200 and len(data) > 0
        return ok, time.monotonic() - t0, str(rep.status), data
    except (OSError, http.client.HTTPException) as e:
        return False, time.monotonic() - t0, type(e).__name__, b""
    finally:
        conn.close()


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    host, port, ncert = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    reqdir, nenroll = sys.argv[4], int(sys.argv[5])
    pace, timeout = float(sys.argv[6]), float(sys.argv[7])
    base = "/cgi-bin/pkiclient.exe?operation="
    jobs = [("getcacert", "GET", base + "GetCACert", None, None)] * ncert
    for i in range(1, nenroll + 1):
        with open(f"{reqdir}/{i}.req", "rb") as f:
            jobs.append(("enroll", "POST", base + "PKIOperation", f.read(),
                         f"{reqdir}/{i}.rep"))
    for what, method, path, body, out in jobs:
        start = time.monotonic()
        ok, took, why, data = one(host, port, timeout, method, path, body)
        if out:
            with open(out, "wb") as f:
                f.write(data)
        print(f"{what} {'OK' if ok else 'FAIL'} {took:.4f} {why}", flush=True)
        rest = pace - (time.monotonic() - start)
        if rest > 0:
            time.sleep(rest)


main()
