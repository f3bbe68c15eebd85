/* SPDX-License-Identifier: MIT */
/* EST as a trustpoint's enrollment protocol (est_enroll.c). */
#ifndef PKID_EST_ENROLL_H
#define PKID_EST_ENROLL_H

#include <stdbool.h>

#include "proto/enroll_proto.h"

extern const struct enroll_proto est_enroll_proto;

/* Does @url select EST: https://HOST[:PORT]/.well-known/est[/label]? */
bool est_enroll_url(const char *url);

#endif /* PKID_EST_ENROLL_H */
