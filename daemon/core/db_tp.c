// SPDX-License-Identifier: MIT
/*
 * Trustpoint client state: what `crypto pki trustpoint TP` has learnt from
 * its CA (certificates, caps), its identity and shadow items, and the
 * enrollment in progress (transactionID, polls), so a restart resumes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define TP_COLS                                                                \
	"name, ca_cert, ra_cert, caps, id_cert, id_key, shadow_ca_cert, "      \
	"shadow_id_cert, shadow_key, pending_tid, pending_kind, "              \
	"poll_count, updated"

static int tp_from_row(struct db_stmt *st, struct db_tp *tp)
{
	int rc;

	memset(tp, 0, sizeof(*tp));
	db_col_text(st, 0, tp->name, sizeof(tp->name));
	db_col_text(st, 5, tp->id_key, sizeof(tp->id_key));
	db_col_text(st, 8, tp->shadow_key, sizeof(tp->shadow_key));
	db_col_text(st, 9, tp->pending_tid, sizeof(tp->pending_tid));
	tp->pending_kind = db_col_int(st, 10);
	tp->poll_count = db_col_int(st, 11);
	tp->updated = db_col_int64(st, 12);
	rc = db_col_blob(st, 1, &tp->ca_cert, &tp->ca_cert_len);
	if (!rc)
		rc = db_col_blob(st, 2, &tp->ra_cert, &tp->ra_cert_len);
	if (!rc)
		rc = db_col_strdup(st, 3, &tp->caps);
	if (!rc)
		rc = db_col_blob(st, 4, &tp->id_cert, &tp->id_cert_len);
	if (!rc)
		rc = db_col_blob(st, 6, &tp->shadow_ca_cert,
				 &tp->shadow_ca_cert_len);
	if (!rc)
		rc = db_col_blob(st, 7, &tp->shadow_id_cert,
				 &tp->shadow_id_cert_len);
	if (rc)
		db_tp_free(tp);
	return rc;
}

int db_tp_get(struct db *db, const char *name, struct db_tp *tp)
{
	struct db_stmt *st;
	int rc;

	memset(tp, 0, sizeof(*tp));
	rc = db_row(db, "SELECT " TP_COLS " FROM trustpoint WHERE name = ?",
		    &st, "t", name);
	if (rc)
		return rc;
	rc = tp_from_row(st, tp);
	db_done(db, st);
	return rc;
}

int db_tp_put(struct db *db, const struct db_tp *tp)
{
	int rc;

	if (!tp->name[0])
		return -EINVAL;
	rc = db_run(db,
		    "INSERT INTO trustpoint (" TP_COLS ") VALUES"
		    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		    " ON CONFLICT (name) DO UPDATE SET"
		    " ca_cert = excluded.ca_cert, ra_cert = excluded.ra_cert,"
		    " caps = excluded.caps, id_cert = excluded.id_cert,"
		    " id_key = excluded.id_key,"
		    " shadow_ca_cert = excluded.shadow_ca_cert,"
		    " shadow_id_cert = excluded.shadow_id_cert,"
		    " shadow_key = excluded.shadow_key,"
		    " pending_tid = excluded.pending_tid,"
		    " pending_kind = excluded.pending_kind,"
		    " poll_count = excluded.poll_count,"
		    " updated = excluded.updated",
		    "tbbtbtbbttiiI", tp->name, (const void *)tp->ca_cert,
		    tp->ca_cert_len, (const void *)tp->ra_cert,
		    tp->ra_cert_len, tp->caps, (const void *)tp->id_cert,
		    tp->id_cert_len, tp->id_key,
		    (const void *)tp->shadow_ca_cert, tp->shadow_ca_cert_len,
		    (const void *)tp->shadow_id_cert, tp->shadow_id_cert_len,
		    tp->shadow_key, tp->pending_tid, (int)tp->pending_kind,
		    (int)tp->poll_count, (int64_t)tp->updated);
	return rc < 0 ? rc : 0;
}

void db_tp_free(struct db_tp *tp)
{
	free(tp->ca_cert);
	free(tp->ra_cert);
	free(tp->caps);
	free(tp->id_cert);
	free(tp->shadow_ca_cert);
	free(tp->shadow_id_cert);
	tp->ca_cert = tp->ra_cert = tp->id_cert = NULL;
	tp->shadow_ca_cert = tp->shadow_id_cert = NULL;
	tp->caps = NULL;
	tp->ca_cert_len = tp->ra_cert_len = tp->id_cert_len = 0;
	tp->shadow_ca_cert_len = tp->shadow_id_cert_len = 0;
}

int db_tp_delete(struct db *db, const char *name)
{
	int rc = db_run(db, "DELETE FROM trustpoint WHERE name = ?", "t", name);

	return db_changed_one(rc);
}
