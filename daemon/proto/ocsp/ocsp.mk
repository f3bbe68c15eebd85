# daemon/proto/ocsp: the OCSP responder's HTTP routes (RFC 6960 Appendix
# A) on the CA's responder (daemon/ca/ca_ocsp.c), linked into pkid.
OCSP_PKID_OBJS := $(OBJ)/daemon/proto/ocsp/ocsp_http.o
