# daemon/ca: the certificate server (`crypto pki server NAME`, ROLLOVER.md
# §3): creation, the protocol-neutral enrollment policy (ca_enroll.c),
# issuance, CRL, rollover, its timers, its control verbs, its part of a
# reload.  It includes no protocol header: daemon/proto/ calls it.
CA_OBJS := $(OBJ)/daemon/ca/ca.o $(OBJ)/daemon/ca/ca_util.o \
	   $(OBJ)/daemon/ca/ca_create.o $(OBJ)/daemon/ca/ca_issue.o \
	   $(OBJ)/daemon/ca/ca_crl.o $(OBJ)/daemon/ca/ca_enroll.o \
	   $(OBJ)/daemon/ca/ca_ctl.o $(OBJ)/daemon/ca/ca_requests.o \
	   $(OBJ)/daemon/ca/ca_rollover.o \
	   $(OBJ)/daemon/ca/ca_csr.o $(OBJ)/daemon/ca/ca_limit.o \
	   $(OBJ)/daemon/ca/ca_reload.o $(OBJ)/daemon/ca/ca_ocsp.o \
	   $(OBJ)/daemon/ca/ca_subpolicy.o $(OBJ)/daemon/ca/ca_sub.o \
	   $(OBJ)/daemon/ca/ca_ra.o $(OBJ)/daemon/ca/ca_ra_fwd.o \
	   $(OBJ)/daemon/ca/ca_import.o \
	   $(OBJ)/daemon/ca/ca_health.o $(OBJ)/daemon/ca/ca_timers.o \
	   $(OBJ)/daemon/ca/ca_tls.o $(OBJ)/daemon/ca/ca_keyupdate.o \
	   $(OBJ)/daemon/ca/ca_lead.o $(OBJ)/daemon/ca/ca_files.o
