# daemon/proto/est: EST (RFC 7030), both sides.
#
# EST_OBJS: the message codec (est.c: base64 bodies, PKCS#10 in, PKCS#7
# certs-only out), also linked by its unit test.
# EST_PKID_OBJS: EST on pkid's parts, linked into pkid only: its routes on
# the CA's neutral calls (est_http.c, daemon/ca/ca.h) and the TLS glue
# (est_tls.c: libmicrohttpd's GnuTLS signing through the keystore); the
# client: EST as the trustpoints' enrollment protocol (est_enroll.c) on
# its libcurl/OpenSSL transport (EST_CLIENT_OBJS: est_client.c, also
# linked by tools/scep-bench's EST mode).
EST_OBJS := $(OBJ)/daemon/proto/est/est.o
EST_CLIENT_OBJS := $(OBJ)/daemon/proto/est/est_client.o
EST_PKID_OBJS := $(OBJ)/daemon/proto/est/est_server.o \
		 $(OBJ)/daemon/proto/est/est_http.o \
		 $(OBJ)/daemon/proto/est/est_tls.o \
		 $(OBJ)/daemon/proto/est/est_enroll.o $(EST_CLIENT_OBJS)
EST_PKID_LIBS := $(shell pkg-config --libs gnutls 2>/dev/null)
