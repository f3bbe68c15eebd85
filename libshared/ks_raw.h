/* SPDX-License-Identifier: MIT */
/*
 * Raw access to a keystore host, for tests that must send what the client
 * API never builds (missing or malformed attributes, unknown commands,
 * truncated headers) and check that the host answers with an error and
 * stays alive.  Not for production code.
 */
#ifndef PKID_KS_RAW_H
#define PKID_KS_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"

/* nlmsg_type to put in requests to this host (genl family id or twin id). */
int pkiks_raw_family(const struct pkiks *ks);
/* A fresh sequence number for a hand-built request. */
uint32_t pkiks_raw_seq(struct pkiks *ks);
/*
 * Send @len bytes exactly as given and wait up to @timeout_ms for the ack
 * (or dump end) whose sequence number is @seq.  Returns the host's error
 * (0 or -errno), or -ETIMEDOUT when nothing answered.
 */
int pkiks_raw_request(struct pkiks *ks, const void *msg, size_t len,
		      uint32_t seq, int timeout_ms);

#endif /* PKID_KS_RAW_H */
