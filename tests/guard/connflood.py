#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Real TCP clients in bulk, for the guard's end-to-end test.

  connflood.py DST PORT FIRST_SRC NSRC PER_SRC SECONDS

From each of NSRC source addresses (FIRST_SRC, FIRST_SRC+1, ...; they
must exist on a local interface) open PER_SRC connections at once, each
sending one `GET /`, and count the HTTP answers (any status) that arrive
within SECONDS (it stops sooner once every connection has its answer or
has failed).
The kernel retransmits the SYNs the guard drops, as it would for any
client.  Prints "answered N of M in T s", T the time it ran.  Standard
library only.
"""
import ipaddress
import resource
import selectors
import socket
import sys
import time


def open_all(sel, dst, port, first, nsrc, per_src):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    base = ipaddress.ip_address(first)
    for i in range(nsrc):
        for _ in range(per_src):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((str(base + i), 0))
            s.connect_ex((dst, port))
            sel.register(s, selectors.EVENT_WRITE, "connect")


def step(sel, key):
    """Advance one socket; 1 when it got its answer."""
    s = key.fileobj
    try:
        if key.data == "connect":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                raise ConnectionError
            s.send(b"GET / HTTP/1.0\r\n\r\n")
            sel.modify(s, selectors.EVENT_READ, "answer")
            return 0
        data = s.recv(64)
    except OSError:  # refused, reset: not an answer
        data = b""
    sel.unregister(s)
    s.close()
    return 1 if data.startswith(b"HTTP/1.") else 0


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    dst, port, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    nsrc, per_src, secs = map(int, sys.argv[4:7])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    open_all(sel, dst, port, first, nsrc, per_src)
    answered = 0
    deadline = t0 + secs
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            answered += step(sel, key)
    took = time.monotonic() - t0
    print(f"answered {answered} of {nsrc * per_src} in {took:.1f} s")


main()
