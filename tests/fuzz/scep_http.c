// SPDX-License-Identifier: MIT
/*
 * Seam for fuzz-scep: daemon/core/http.c compiled as it is, plus one exported
 * name for its (static) base64 step, so the harness runs the daemon's own
 * decoding without a libmicrohttpd daemon and a socket per input.  If
 * http.c ever exports its decoder (http.h), this file goes away.
 */
#include "../../daemon/core/http.c"

int fuzz_http_decode_message(const char *arg, unsigned char **out, size_t *len);

int fuzz_http_decode_message(const char *arg, unsigned char **out, size_t *len)
{
	return decode_message(arg, out, len);
}
