// SPDX-License-Identifier: MIT
/*
 * A CA's files on a database several nodes share (issue 18,
 * docs/POSTGRESQL.md "Several nodes").  A CA keeps some of its state as
 * files in its `database url` folder: the RA certificate
 * (NAME-ra.cer) and its successor (NAME-ra-rollover.cer), the key
 * archives of `database archive` (NAME_NNNNN.p12, written by
 * pkiks-keygen, and NAME_NNNNN.pem), and the old CA certificates
 * (NAME-ca-SERIAL.cer).  One node's folder is not the others': so on a
 * shared database each of these files is stored in the database as well
 * (table ca_file, by file name) when it is written, and every node writes
 * what the database holds into its own folder (ca_files_fetch_all) when
 * it starts, takes over or follows a change.  The folder stays the place
 * the code and the operator read; on SQLite nothing changes.
 *
 * The RA certificates are the one case where two nodes may each make
 * one (a follower that starts before the leader stored it, or finds it
 * expired): ca_file_offer stores a node's only if the database still
 * holds what the node saw, and otherwise the node takes the one stored,
 * so all nodes serve one RA certificate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_internal.h"
#include "core/log.h"

/* The file's name in the folder, as the database keys it. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * A name from the database becomes a path in our folder: plain names
 * only (what pkid writes: letters, digits, '.', '_', '-', '#'), never a
 * '/' or a leading '.', bounded.
 */
static bool name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 200 || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '#'))
			return false;
	}
	return true;
}

/* An archive holds a key (encrypted): readable by pkid's user only. */
static unsigned int mode_of(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".p12") ? 0600 : 0644;
}

/* Is the file at path exactly data? */
static bool same_file(const char *path, const struct db_cafile *f)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	bool same = false;

	if (!fp)
		return false;
	buf = malloc(f->len + 1);
	if (buf)
		same = fread(buf, 1, f->len + 1, fp) == f->len &&
		       !memcmp(buf, f->data, f->len);
	free(buf);
	fclose(fp);
	return same;
}

/* A file of ours, whole (at most 1 MiB: certificates and archives). */
int ca_read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	*data = NULL;
	*len = 0;
	if (!fp)
		return -errno;
	for (;;) {
		size_t r;

		if (n == cap) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = cap <= (1U << 20) ? realloc(buf, cap) : NULL;
			if (!nb) {
				ret = cap > (1U << 20) ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
		if (r == 0) {
			ret = ferror(fp) ? -EIO : 0;
			break;
		}
	}
	fclose(fp);
	if (ret == 0 && n == 0)
		ret = -ENODATA;
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int write_local(const char *path, const struct db_cafile *f)
{
	if (same_file(path, f))
		return 0;
	return ca_write_file(path, f->data, f->len, mode_of(base_name(path)));
}

int ca_file_share(struct ca *ca, const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int ret;

	if (!db_shared(ca->db))
		return 0;
	ret = ca_read_file(path, &data, &len);
	ret = ret ?: db_cafile_put(ca->db, ca->cfg.name, base_name(path),
				   data, len);
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_FILE_SHARE",
			 "%s: cannot store %s in the database: %s",
			 ca->cfg.name, base_name(path), strerror(-ret));
	free(data);
	return ret;
}

int ca_file_fetch(struct ca *ca, const char *path, struct db_cafile *seen)
{
	struct db_cafile f = {0};
	int ret;

	if (seen)
		memset(seen, 0, sizeof(*seen));
	if (!db_shared(ca->db))
		return 0;
	ret = db_cafile_get(ca->db, ca->cfg.name, base_name(path), &f);
	if (ret == -ENOENT)
		return 0;
	ret = ret ?: write_local(path, &f);
	if (ret == 0 && seen)
		*seen = f;
	else
		db_cafile_free(&f);
	return ret;
}

int ca_file_offer(struct ca *ca, const char *path,
		  const struct db_cafile *seen)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int ret;

	if (!db_shared(ca->db))
		return 0;
	ret = ca_read_file(path, &data, &len);
	ret = ret ?: db_cafile_replace(ca->db, ca->cfg.name, base_name(path),
				       seen && seen->data ? seen : NULL,
				       data, len);
	free(data);
	if (ret == -EEXIST) {
		pkid_log(LOG_INFO, "CS_FILE_SHARE",
			 "%s: another node stored %s first: that one is "
			 "served",
			 ca->cfg.name, base_name(path));
		ret = ca_file_fetch(ca, path, NULL);
		return ret ?: -EEXIST;
	}
	return ret;
}

int ca_file_move(struct ca *ca, const char *from, const char *to)
{
	int ret;

	if (!db_shared(ca->db))
		return 0;
	ret = db_cafile_move(ca->db, ca->cfg.name, base_name(from),
			     base_name(to));
	return ret == -ENOENT ? 0 : ret; /* moved before a crash */
}

int ca_file_delete(struct ca *ca, const char *path)
{
	if (!db_shared(ca->db))
		return 0;
	return db_cafile_delete(ca->db, ca->cfg.name, base_name(path));
}

struct fetch_all {
	struct ca *ca;
	const char *dir;
	int failed;
};

static int fetch_one(const char *name, const struct db_cafile *f, void *arg)
{
	struct fetch_all *fa = arg;
	char path[PKID_CONF_URL_MAX + 256];
	int ret;

	if (!name_ok(name) ||
	    snprintf(path, sizeof(path), "%s/%s", fa->dir, name) >=
		    (int)sizeof(path)) {
		pkid_log(LOG_ERR, "CS_FILE_SHARE",
			 "%s: a stored file has a name pkid does not write: "
			 "not written",
			 fa->ca->cfg.name);
		fa->failed = -EINVAL;
		return 0;
	}
	ret = write_local(path, f);
	if (ret < 0) {
		pkid_log(LOG_ERR, "CS_FILE_SHARE", "%s: cannot write %s: %s",
			 fa->ca->cfg.name, path, strerror(-ret));
		fa->failed = ret;
	}
	return 0;
}

int ca_files_fetch_all(struct ca *ca)
{
	char dir[PKID_CONF_URL_MAX];
	struct fetch_all fa = {.ca = ca, .dir = dir};
	int ret;

	if (!db_shared(ca->db))
		return 0;
	ret = ca_dir(ca, dir, sizeof(dir));
	ret = ret ?: db_cafile_foreach(ca->db, ca->cfg.name, fetch_one, &fa);
	return ret ?: fa.failed;
}
