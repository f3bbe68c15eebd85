#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The guard tests' stand-in for pkid's HTTP port.

  listener.py PORT DIR

Serves DIR over HTTP on [::]:PORT (IPv4 too), one thread per connection,
with a deep accept queue so that the guard, not the listen backlog,
decides what gets through.  Logs one line per request on stderr.
"""
import functools
import http.server
import socket
import sys


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    request_queue_size = 4096
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=sys.argv[2])
    with Server(("::", int(sys.argv[1])), handler) as srv:
        srv.serve_forever()


main()
