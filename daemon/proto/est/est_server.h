/* SPDX-License-Identifier: MIT */
/*
 * EST's listener (est_server.c): `ip http secure-server` with `est` in the
 * crypto pki server block: a TLS listener of its own (same limits as the
 * HTTP one) carrying EST's routes, its key in the keystore.
 */
#ifndef PKID_EST_SERVER_H
#define PKID_EST_SERVER_H

#include "config.h"

struct ca;
struct est_server;

/* Nothing to do (*out NULL) unless both lines are there; a message for
 * one without the other. */
int est_server_start(struct est_server **out, struct ca *ca,
		     const struct pkid_config *cfg);
void est_server_stop(struct est_server *s);

#endif /* PKID_EST_SERVER_H */
