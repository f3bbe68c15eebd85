/* SPDX-License-Identifier: MIT */
/* SCEP as a trustpoint's enrollment protocol (scep_enroll.c). */
#ifndef PKID_SCEP_ENROLL_H
#define PKID_SCEP_ENROLL_H

#include "proto/enroll_proto.h"

extern const struct enroll_proto scep_enroll_proto;

#endif /* PKID_SCEP_ENROLL_H */
