/* SPDX-License-Identifier: MIT */
/*
 * The control protocol between pkictl and pkid (daemon/CONTROL.md), client
 * side.  A Unix stream socket; each message is a frame: a 4-byte big-endian
 * length, then that many bytes of UTF-8 JSON.
 *
 *   request  {"cmd": "show server", "args": ["ROOTCA"]}
 *   reply    {"status": 0, "error": "", "result": {...}, "text": "..."}
 *
 * status is 0 or a negative errno; error says why in one line.  text is
 * what pkictl prints; result is the same information as data (--json).
 *
 * Link with -ljansson (pkg-config jansson).
 */
#ifndef PKID_CTL_CLIENT_H
#define PKID_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_PROTOCOL_VERSION 1
/* Largest frame body either way; bigger requests are refused. */
#define CTL_FRAME_MAX  (1024 * 1024)
#define CTL_HEADER_LEN 4
/* The client's default wait for a reply (some commands sign). */
#define CTL_CLIENT_TIMEOUT_MS 30000
/* Socket: argument, else $PKID_CTL_SOCKET, else this. */
#define CTL_SOCKET_DEFAULT "/run/pkid/pkid.ctl"

struct ctl_client;

/* One reply, decoded.  Every pointer is owned by the struct. */
struct ctl_result {
	int status;	/* 0 or -errno, from the daemon or the transport */
	char *error;	/* message ("" on success); never NULL after a call */
	char *text;	/* human output ("" when none) */
	json_t *result; /* the "result" member, or NULL */
	char *raw;	/* the reply frame as received, or NULL */
};

/* Connect, with timeout_ms for every later call (0: the default). */
int ctl_client_open(struct ctl_client **c, const char *path, int timeout_ms);
void ctl_client_close(struct ctl_client *c);
const char *ctl_client_path(const struct ctl_client *c);

/*
 * Send one command and wait for its reply.  Returns res->status: 0, the
 * daemon's negative errno, or a local one (-ETIMEDOUT, -EMSGSIZE,
 * -ECONNRESET, -EBADMSG); res->error says why in every failure case.
 * Call ctl_result_free() after every call, success or not.
 */
int ctl_client_call(struct ctl_client *c, const char *cmd,
		    const char *const *args, size_t nargs,
		    struct ctl_result *res);
/* Same with a ready request object ({"cmd":..,"args":[..]}). */
int ctl_client_call_json(struct ctl_client *c, json_t *request,
			 struct ctl_result *res);
void ctl_result_free(struct ctl_result *res);

/*
 * Frame I/O on a blocking or non-blocking fd, shared with the daemon side.
 * ctl_frame_write sends header and body within timeout_ms.  ctl_frame_read
 * reads one frame into a malloc'd, NUL-terminated buffer: -EMSGSIZE if the
 * header announces more than max, -ECONNRESET on EOF inside a frame, 0 with
 * *len = 0 and *buf = NULL on a clean EOF before any byte, -ETIMEDOUT.
 */
int ctl_frame_write(int fd, const void *buf, size_t len, int timeout_ms);
int ctl_frame_read(int fd, char **buf, size_t *len, size_t max, int timeout_ms);

#endif /* PKID_CTL_CLIENT_H */
