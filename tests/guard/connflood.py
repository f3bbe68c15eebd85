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
client.  Prints "answered N of M in T s; K first SYN, opened in O s":
T the time it ran; K the connections whose handshake needed no SYN
retransmission (the kernel's own count, TCP_INFO tcpi_total_retrans): a
dropped SYN is retransmitted, so K says how many SYNs nothing dropped, at
whatever pace the listener answers; O the time opening them all took.
Standard library only.
"""
import struct
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


# struct tcp_info: 8 bytes of u8 fields, then u32s; tcpi_total_retrans is
# the 24th u32 (include/uapi/linux/tcp.h).
TOTAL_RETRANS = 8 + 23 * 4


def first_syn(s):
    """1 when the handshake needed no SYN retransmission."""
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return 1 if struct.unpack_from("I", info, TOTAL_RETRANS)[0] == 0 else 0


def step(sel, key, counts):
    """Advance one socket; counts[0] += 1 when it got its answer,
    counts[1] += 1 when it connected on its first SYN."""
    s = key.fileobj
    try:
        if key.data == "connect":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                raise ConnectionError
            counts[1] += first_syn(s)
            s.send(b"GET / HTTP/1.0\r\n\r\n")
            sel.modify(s, selectors.EVENT_READ, "answer")
            return
        data = s.recv(64)
    except OSError:  # refused, reset: not an answer
        data = b""
    sel.unregister(s)
    s.close()
    counts[0] += 1 if data.startswith(b"HTTP/1.") else 0


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
    opened = time.monotonic() - t0
    counts = [0, 0]
    deadline = t0 + secs
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            step(sel, key, counts)
    took = time.monotonic() - t0
    print(f"answered {counts[0]} of {nsrc * per_src} in {took:.1f} s; "
          f"{counts[1]} first SYN, opened in {opened:.1f} s")


main()
