// SPDX-License-Identifier: MIT
/*
 * pkiks-provider: entry point, algorithm tables, parameters, errors and the
 * per-thread keystore handles.
 *
 * Configuration (openssl.cnf provider section, or nothing):
 *   pkiks-socket = /run/pkiks/pkiksd.sock   pkiksd's socket; without it the
 *                  client library uses $PKIKS_SOCKET, then its default.
 * The transport (kernel family or pkiksd) is picked by the client library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "provider.h"

#define PKIKS_PROV_NAME	   "pkiks keystore provider"
#define PKIKS_PROV_VERSION "1.0"

/* A thread's handle, linked into the provider's list so teardown finds it. */
struct pkiks_prov_conn {
	struct pkiks_prov *prov;
	struct pkiks *ks;
	struct pkiks_prov_conn *prev, *next;
};

static const OSSL_ITEM pkiks_prov_reasons[] = {
	{PKIKS_R_UNREACHABLE, "keystore unreachable"},
	{PKIKS_R_NO_SUCH_KEY, "no such key in the keystore"},
	{PKIKS_R_PERMISSION, "permission denied by the keystore"},
	{PKIKS_R_KEY_USAGE, "key usage forbids this operation"},
	{PKIKS_R_TIME, "time is not authoritative"},
	{PKIKS_R_DECRYPT, "decryption failed"},
	{PKIKS_R_KEYSTORE, "keystore error"},
	{PKIKS_R_BAD_ARGUMENT, "invalid argument"},
	{PKIKS_R_UNSUPPORTED, "not supported by the pkiks provider"},
	{PKIKS_R_NO_PRIVATE_KEY, "key has no private part in the keystore"},
	{PKIKS_R_INTERNAL, "internal error"},
	{0, NULL},
};

/* ---- errors ---------------------------------------------------------- */

void pkiks_prov_raise(struct pkiks_prov *prov, const char *file, int line,
		      const char *func, int reason, const char *fmt, ...)
{
	va_list ap;

	/* The core attributes the error to this provider's library number. */
	prov->new_error(prov->handle);
	prov->set_error_debug(prov->handle, file, line, func);
	va_start(ap, fmt);
	prov->vset_error(prov->handle, (uint32_t)reason, fmt, ap);
	va_end(ap);
}

static int pkiks_prov_errno_reason(int err)
{
	switch (-err) {
	case ENOENT:
		return PKIKS_R_NO_SUCH_KEY;
	case EPERM:
	case EACCES:
		return PKIKS_R_PERMISSION;
	case EKEYREJECTED:
		return PKIKS_R_KEY_USAGE;
	case EAGAIN:
		return PKIKS_R_TIME;
	case EBADMSG:
		return PKIKS_R_DECRYPT;
	default:
		return pkiks_prov_is_transport_error(err) ? PKIKS_R_UNREACHABLE
							  : PKIKS_R_KEYSTORE;
	}
}

void pkiks_prov_raise_errno(struct pkiks_prov *prov, const char *file, int line,
			    const char *func, int err, const char *what,
			    const char *name)
{
	const char *hint = "";

	if (err == -EAGAIN)
		hint = " (set `pkictl clock calendar-valid` or enable NTP)";
	pkiks_prov_raise(prov, file, line, func, pkiks_prov_errno_reason(err),
			 "%s key pkiks:%s: %s%s", what, name, strerror(-err),
			 hint);
}

/* Errors after which the handle is useless and must be reopened. */
int pkiks_prov_is_transport_error(int err)
{
	switch (-err) {
	case EPIPE:
	case ECONNRESET:
	case ECONNREFUSED:
	case ENOTCONN:
	case ETIMEDOUT:
		return 1;
	default:
		return 0;
	}
}

/* ---- per-thread keystore handles -------------------------------------- */

static void pkiks_prov_conn_unlink(struct pkiks_prov_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->prov->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* pthread key destructor: the thread is exiting. */
static void pkiks_prov_conn_release(void *arg)
{
	struct pkiks_prov_conn *c = arg;
	struct pkiks_prov *prov = c->prov;

	pthread_mutex_lock(&prov->lock);
	pkiks_prov_conn_unlink(c);
	pthread_mutex_unlock(&prov->lock);
	pkiks_close(c->ks);
	free(c);
}

/* This thread's keystore handle, opened on first use; NULL + error raised. */
struct pkiks *pkiks_prov_handle(struct pkiks_prov *prov)
{
	struct pkiks_prov_conn *c = pthread_getspecific(prov->tls);
	struct pkiks *ks = NULL;
	int err;

	if (c)
		return c->ks;
	err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, prov->socket_path);
	if (err) {
		const char *path = prov->socket_path ? prov->socket_path
				   : getenv("PKIKS_SOCKET")
					   ? getenv("PKIKS_SOCKET")
					   : PKIKS_DEFAULT_SOCKET;
		PKIKS_RAISE(prov, PKIKS_R_UNREACHABLE,
			    "no pkiks kernel family and no pkiksd at %s: %s",
			    path, strerror(-err));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->prov = prov;
	c->ks = ks;
	if (pthread_setspecific(prov->tls, c))
		goto fail;
	pthread_mutex_lock(&prov->lock);
	c->next = prov->conns;
	if (c->next)
		c->next->prev = c;
	prov->conns = c;
	pthread_mutex_unlock(&prov->lock);
	return ks;
fail:
	free(c);
	pkiks_close(ks);
	PKIKS_RAISE(prov, PKIKS_R_INTERNAL, "cannot keep a keystore handle");
	return NULL;
}

/* Forget this thread's handle (after a transport error): next use reopens. */
void pkiks_prov_handle_drop(struct pkiks_prov *prov)
{
	struct pkiks_prov_conn *c = pthread_getspecific(prov->tls);

	if (!c)
		return;
	pthread_setspecific(prov->tls, NULL);
	pkiks_prov_conn_release(c);
}

/* ---- provider entry points -------------------------------------------- */

static const OSSL_ALGORITHM pkiks_prov_keymgmt[] = {
	{"RSA:rsaEncryption", PKIKS_PROV_PROPS, pkiks_keymgmt_functions,
	 "RSA key held by the pkiks keystore"},
	{"EC:id-ecPublicKey", PKIKS_PROV_PROPS, pkiks_ec_keymgmt_functions,
	 "EC key (P-256, P-384) held by the pkiks keystore"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM pkiks_prov_signature[] = {
	{"RSA:rsaEncryption", PKIKS_PROV_PROPS, pkiks_signature_functions,
	 "RSASSA-PKCS1-v1_5 through the pkiks keystore"},
	{"ECDSA", PKIKS_PROV_PROPS, pkiks_signature_functions,
	 "ECDSA through the pkiks keystore"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM pkiks_prov_asym_cipher[] = {
	{"RSA:rsaEncryption", PKIKS_PROV_PROPS, pkiks_asym_cipher_functions,
	 "RSAES-PKCS1-v1_5 decryption through the pkiks keystore"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM pkiks_prov_keyexch[] = {
	{"ECDH", PKIKS_PROV_PROPS, pkiks_keyexch_functions,
	 "ECDH (X9.63 KDF) through the pkiks keystore"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM pkiks_prov_store[] = {
	{"pkiks", PKIKS_PROV_PROPS, pkiks_store_functions,
	 "pkiks:NAME opens a keystore key"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *pkiks_prov_query(void *provctx, int operation_id,
					      int *no_cache)
{
	*no_cache = 0;
	switch (operation_id) {
	case OSSL_OP_KEYMGMT:
		return pkiks_prov_keymgmt;
	case OSSL_OP_SIGNATURE:
		return pkiks_prov_signature;
	case OSSL_OP_ASYM_CIPHER:
		return pkiks_prov_asym_cipher;
	case OSSL_OP_KEYEXCH:
		return pkiks_prov_keyexch;
	case OSSL_OP_STORE:
		return pkiks_prov_store;
	default:
		return NULL;
	}
}

static const OSSL_PARAM pkiks_prov_param_types[] = {
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL,
			0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *pkiks_prov_gettable_params(void *provctx)
{
	return pkiks_prov_param_types;
}

static int pkiks_prov_get_params(void *provctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, PKIKS_PROV_NAME))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, PKIKS_PROV_VERSION))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "pkid " PKIKS_PROV_VERSION))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static const OSSL_ITEM *pkiks_prov_get_reason_strings(void *provctx)
{
	return pkiks_prov_reasons;
}

static void pkiks_prov_teardown(void *provctx)
{
	struct pkiks_prov *prov = provctx;
	struct pkiks_prov_conn *c, *next;

	if (!prov)
		return;
	/* No destructor may run into this provider once it is gone. */
	pthread_key_delete(prov->tls);
	for (c = prov->conns; c; c = next) {
		next = c->next;
		pkiks_close(c->ks);
		free(c);
	}
	pthread_mutex_destroy(&prov->lock);
	OSSL_LIB_CTX_free(prov->libctx);
	free(prov->socket_path);
	free(prov);
}

static const OSSL_DISPATCH pkiks_prov_functions[] = {
	{OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))pkiks_prov_teardown},
	{OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))pkiks_prov_query},
	{OSSL_FUNC_PROVIDER_GETTABLE_PARAMS,
	 (void (*)(void))pkiks_prov_gettable_params},
	{OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))pkiks_prov_get_params},
	{OSSL_FUNC_PROVIDER_GET_REASON_STRINGS,
	 (void (*)(void))pkiks_prov_get_reason_strings},
	{0, NULL},
};

/* Pick the core functions we use out of the core's table. */
static int pkiks_prov_core_functions(struct pkiks_prov *prov,
				     const OSSL_DISPATCH *in,
				     OSSL_FUNC_core_get_params_fn **get_params)
{
	for (; in->function_id; in++) {
		switch (in->function_id) {
		case OSSL_FUNC_CORE_GET_PARAMS:
			*get_params = OSSL_FUNC_core_get_params(in);
			break;
		case OSSL_FUNC_CORE_NEW_ERROR:
			prov->new_error = OSSL_FUNC_core_new_error(in);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			prov->set_error_debug =
				OSSL_FUNC_core_set_error_debug(in);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			prov->vset_error = OSSL_FUNC_core_vset_error(in);
			break;
		}
	}
	return *get_params && prov->new_error && prov->set_error_debug &&
	       prov->vset_error;
}

/* The optional "pkiks-socket" setting of our configuration section. */
static int pkiks_prov_read_config(struct pkiks_prov *prov,
				  OSSL_FUNC_core_get_params_fn *get_params)
{
	char *socket_path = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_ptr(PKIKS_PROV_PARAM_SOCKET, &socket_path, 0),
		OSSL_PARAM_END,
	};

	if (!get_params(prov->handle, params))
		return 0;
	if (socket_path && *socket_path) {
		prov->socket_path = strdup(socket_path);
		if (!prov->socket_path)
			return 0;
	}
	return 1;
}

OSSL_provider_init_fn OSSL_provider_init;

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx)
{
	OSSL_FUNC_core_get_params_fn *get_params = NULL;
	struct pkiks_prov *prov;

	prov = calloc(1, sizeof(*prov));
	if (!prov)
		return 0;
	prov->handle = handle;
	if (!pkiks_prov_core_functions(prov, in, &get_params))
		goto err_free;
	if (pthread_key_create(&prov->tls, pkiks_prov_conn_release))
		goto err_free;
	pthread_mutex_init(&prov->lock, NULL);
	if (!pkiks_prov_read_config(prov, get_params))
		goto err_key;
	/* Digests and public-key checks come from the application's providers.
	 */
	prov->libctx = OSSL_LIB_CTX_new_child(handle, in);
	if (!prov->libctx)
		goto err_key;
	*out = pkiks_prov_functions;
	*provctx = prov;
	return 1;

err_key:
	pthread_mutex_destroy(&prov->lock);
	pthread_key_delete(prov->tls);
err_free:
	free(prov->socket_path);
	free(prov);
	return 0;
}
