// SPDX-License-Identifier: MIT
/*
 * How fast the CA can record certificates: N transactions of "reserve a
 * serial, record the certificate, commit" (WAL, synchronous=FULL: one
 * fsync each), then N bare serial reservations, on a file in a temp dir,
 * or on the database PKID_TEST_PG_URL names (bench-db-pg: a throwaway
 * PostgreSQL from tests/lib/pg.sh).
 *   bench-db [N]      (default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int issue(struct db *db, unsigned char *der, size_t len)
{
	struct db_cert c = {.server = "CA",
			    .subject = "CN=bench",
			    .not_before = 1,
			    .not_after = 2,
			    .der = der,
			    .der_len = len};
	int rc = db_begin(db);

	rc = rc ?: db_serial_reserve(db, "CA", &c.serial);
	rc = rc ?: db_cert_add(db, &c);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/pkid-bench-XXXXXX", path[64], cmd[96];
	const char *url = getenv("PKID_TEST_PG_URL");
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned char der[1200];
	struct db *db;
	int64_t serial;
	double t0, t1, t2;

	if (n <= 0 || !mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	memset(der, 0x5a, sizeof(der));
	if (db_open(&db, url ? url : path))
		return 1;
	printf("%s:\n", db_backend(db));
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (issue(db, der, sizeof(der)))
			return 1;
	t1 = now_s();
	for (int i = 0; i < n; i++)
		if (db_serial_reserve(db, "CA", &serial))
			return 1;
	t2 = now_s();
	db_close(db);
	printf("issue (reserve + 1.2 kB cert + commit): %d in %.2f s = "
	       "%.0f/s\n",
	       n, t1 - t0, n / (t1 - t0));
	printf("serial reserve alone:                   %d in %.2f s = "
	       "%.0f/s\n",
	       n, t2 - t1, n / (t2 - t1));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
