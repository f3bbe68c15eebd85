// SPDX-License-Identifier: MIT
/*
 * The pkiksd transport: a SOCK_SEQPACKET Unix socket carrying the same
 * netlink bytes as the kernel family, with nlmsg_type PKIKS_TWIN_FAMILY_ID.
 * Events come on a second connection that subscribed with an empty
 * PKIKS_CMD_EVENT request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks_internal.h"

int ks_twin_connect(const char *path, int *fd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int s, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int ks_twin_open(struct pkiks *ks, const char *path)
{
	if (!path)
		path = getenv("PKIKS_SOCKET");
	if (!path || !*path)
		path = PKIKS_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(ks->path))
		return -ENAMETOOLONG;
	strcpy(ks->path, path);
	ks->family = PKIKS_TWIN_FAMILY_ID;
	ks->port = 0;
	ks->peer_len = 0;
	return ks_twin_connect(ks->path, &ks->fd);
}

/* Subscribe a fresh connection; its ack is the only reply it ever gets. */
int ks_twin_events_open(struct pkiks *ks)
{
	struct pkiks sub = {.transport = PKIKS_TRANSPORT_TWIN,
			    .family = PKIKS_TWIN_FAMILY_ID,
			    .buf = ks->buf};
	struct nl_msg *msg;
	int err;

	err = ks_twin_connect(ks->path, &sub.fd);
	if (err)
		return err;
	msg = ks_msg_new(&sub, PKIKS_CMD_EVENT, 0);
	if (!msg) {
		err = -ENOMEM;
		goto fail;
	}
	err = ks_request(&sub, msg, NULL, NULL);
	if (err)
		goto fail;
	ks->ev_fd = sub.fd;
	return 0;
fail:
	close(sub.fd);
	return err;
}

void ks_twin_close(struct pkiks *ks)
{
	if (ks->ev_fd >= 0)
		close(ks->ev_fd);
	if (ks->fd >= 0)
		close(ks->fd);
	ks->fd = ks->ev_fd = -1;
}
