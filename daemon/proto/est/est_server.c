// SPDX-License-Identifier: MIT
/*
 * EST's listener: its own HTTP server object (daemon/core/http.h) on the
 * TLS port, EST's routes (est_http.c) and the TLS identity (est_tls.c).
 * The TLS certificate names `est tls-name`, else the `hostname`, else the
 * machine's host name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "core/http.h"
#include "core/log.h"
#include "est_http.h"
#include "est_server.h"
#include "est_tls.h"

struct est_server {
	struct http_server *http;
	struct est_http *routes;
	struct est_tls *tls;
};

void est_server_stop(struct est_server *s)
{
	if (!s)
		return;
	http_free(s->http); /* first: no handshake uses the identity after */
	est_http_free(s->routes);
	est_tls_free(s->tls);
	free(s);
}

static void tls_host(const struct pkid_config *cfg,
		     const struct pkid_server_config *sc, char *host,
		     size_t size)
{
	if (sc->est_tls_name[0])
		snprintf(host, size, "%s", sc->est_tls_name);
	else if (cfg->hostname[0])
		snprintf(host, size, "%s", cfg->hostname);
	else if (gethostname(host, size) < 0 || !host[0])
		snprintf(host, size, "localhost");
	host[size - 1] = '\0';
}

int est_server_start(struct est_server **out, struct ca *ca,
		     const struct pkid_config *cfg)
{
	const struct pkid_server_config *sc =
		ca ? pkid_config_server(cfg, ca_name(ca)) : NULL;
	char host[PKID_CONF_NAME_MAX];
	struct http_tls h = {0};
	struct est_server *s;
	int ret;

	*out = NULL;
	if (cfg->https_enabled != (sc && sc->est))
		pkid_log(LOG_WARNING, "EST_CONFIG",
			 "EST needs both `ip http secure-server` and `est` in "
			 "the crypto pki server block: not served");
	if (!cfg->https_enabled || !sc || !sc->est)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	tls_host(cfg, sc, host, sizeof(host));
	ret = http_new(&s->http);
	ret = ret ?: est_http_register(s->http, ca, &s->routes);
	ret = ret ?: est_tls_new(&s->tls, ca, host);
	if (ret == 0) {
		est_tls_http(s->tls, &h);
		ret = http_start_tls(s->http, cfg->https_port, &h);
	}
	if (ret < 0) {
		pkid_log(LOG_ERR, "EST_CONFIG",
			 "cannot serve EST on port %u: %s", cfg->https_port,
			 strerror(-ret));
		est_server_stop(s);
		return ret;
	}
	pkid_log(LOG_INFO, "EST_CONFIG",
		 "%s: EST on port %u (TLS 1.2/1.3, certificate for %s)",
		 ca_name(ca), cfg->https_port, host);
	*out = s;
	return 0;
}
