#!/usr/bin/env python3
"""Slow HTTP clients for check-ca-slow (issue 19 #2).

slowloris.py HOST PORT SOURCE CONNS INTERVAL DURATION

Keeps CONNS connections from SOURCE open to HOST:PORT for DURATION
seconds: each sends a request line, then one header line every INTERVAL
seconds, never the blank line that ends the head.  A connection the
server closes is opened again.  Prints one line of figures:

  opened=N closed_by_server=N longest_s=F longest_cut_s=F max_open=N

longest_s is the longest time a connection was seen open (all of them
must be cut by the request deadline); longest_cut_s the longest life of a
connection that lasted over one INTERVAL and then was closed by the
server; max_open the most connections open at once that had been served
a header line (what the server let one address hold).
"""
import select
import socket
import sys
import time


def main():
    host, port, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conns, interval, duration = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    live = {}  # socket -> (opened at, last header at)
    opened = closed = max_open = 0
    longest = longest_cut = 0.0
    end = time.monotonic() + duration
    last_fill = 0.0

    def connect():
        nonlocal opened
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((source, 0))
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        now = time.monotonic()
        live[s] = (now, now - interval)  # first header line at once
        opened += 1

    while time.monotonic() < end:
        # Refill once a second: a refused connection is not retried in a
        # tight loop (the machine running the test has two cores).
        if time.monotonic() - last_fill >= 1.0:
            last_fill = time.monotonic()
            while len(live) < conns and time.monotonic() < end:
                connect()
        now = time.monotonic()
        for s, (t0, last) in list(live.items()):
            if now - last >= interval:
                try:
                    if last < t0:
                        s.send(b"GET /cgi-bin/pkiclient.exe?operation=GetCACert HTTP/1.1\r\n")
                    else:
                        s.send(b"X-Slow: %d\r\n" % int(now))
                    live[s] = (t0, now)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass
        # A readable socket here is a closed (or answered) one.
        r, _, _ = select.select(list(live), [], [], 0.2)
        now = time.monotonic()
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue
            t0, _ = live.pop(s)
            s.close()
            closed += 1
            life = now - t0
            longest = max(longest, life)
            if life > interval:
                longest_cut = max(longest_cut, life)
        alive = sum(1 for t0, last in live.values() if now - t0 > 1.0)
        max_open = max(max_open, alive)
    now = time.monotonic()
    for s, (t0, _) in live.items():
        longest = max(longest, now - t0)
        s.close()
    print("opened=%d closed_by_server=%d longest_s=%.1f longest_cut_s=%.1f max_open=%d"
          % (opened, closed, longest, longest_cut, max_open))


if __name__ == "__main__":
    main()
