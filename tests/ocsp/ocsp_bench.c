// SPDX-License-Identifier: MIT
/*
 * ocsp-bench: the OCSP responder's rate and latency from its cache.
 *
 *   ocsp-bench PORT PATH CONNECTIONS SECONDS REQ.der...
 *
 * CONNECTIONS threads, each with one keep-alive HTTP/1.1 connection to
 * 127.0.0.1:PORT, POST the request files in turn to PATH for SECONDS and
 * time every answer (send to last byte).  Every answer must be 200 with an
 * OCSPResponse whose status is successful (checked on the bytes: DER
 * SEQUENCE, then ENUMERATED 0), else the run fails.  Prints one line:
 * "responses N seconds S rate R p50_us A p99_us B max_us C".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQS    4096
#define MAX_SAMPLES (4u << 20) /* per thread: bounded memory */
#define BUF_MAX	    (64 * 1024)

struct req {
	unsigned char *data;
	size_t len;
};

static struct req reqs[MAX_REQS];
static size_t n_reqs;
static int port;
static const char *path;
static double seconds;

struct worker {
	pthread_t th;
	uint32_t *lat_us;
	size_t idx, n;
	int err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_lo(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int send_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one answer: headers, then Content-Length bytes.  0 if it is a
 * 200 carrying a successful OCSPResponse. */
static int read_answer(int fd, char *buf)
{
	size_t have = 0, body_len, need;
	char *end, *cl;
	ssize_t n;

	for (;;) {
		if (have == BUF_MAX - 1)
			return -1;
		n = recv(fd, buf + have, BUF_MAX - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
	}
	if (strncmp(buf, "HTTP/1.1 200", 12))
		return -1;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (!cl || cl > end)
		return -1;
	body_len = strtoul(cl + 17, NULL, 10);
	need = (size_t)(end + 4 - buf) + body_len;
	if (need >= BUF_MAX)
		return -1;
	while (have < need) {
		n = recv(fd, buf + have, need - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	{
		const unsigned char *b = (unsigned char *)end + 4;
		size_t hdr = b[1] & 0x80 ? 2 + (b[1] & 0x7f) : 2;

		/* SEQUENCE { ENUMERATED successful(0), ... } */
		if (body_len < hdr + 3 || b[0] != 0x30 || b[hdr] != 0x0a ||
		    b[hdr + 1] != 1 || b[hdr + 2] != 0)
			return -1;
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char head[256], *buf = malloc(BUF_MAX);
	double stop = now_s() + seconds, t0;
	size_t i = w->idx % n_reqs; /* spread the requests */
	int fd = connect_lo(), hl;

	if (fd < 0 || !buf) {
		w->err = 1;
		goto out;
	}
	while (w->n < MAX_SAMPLES && (t0 = now_s()) < stop) {
		struct req *r = &reqs[i++ % n_reqs];

		hl = snprintf(head, sizeof(head),
			      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			      "Content-Type: application/ocsp-request\r\n"
			      "Content-Length: %zu\r\n\r\n",
			      path, r->len);
		if (send_all(fd, head, (size_t)hl) < 0 ||
		    send_all(fd, r->data, r->len) < 0 || read_answer(fd, buf) < 0) {
			w->err = 1;
			break;
		}
		w->lat_us[w->n++] = (uint32_t)((now_s() - t0) * 1e6);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int load(const char *file, struct req *r)
{
	FILE *f = fopen(file, "rb");
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || n > 8192 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	r->data = malloc((size_t)n);
	r->len = r->data ? fread(r->data, 1, (size_t)n, f) : 0;
	fclose(f);
	return r->len == (size_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct worker *w;
	uint32_t *all;
	size_t conns, i, total = 0, k = 0;
	double t0, el;
	int err = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: ocsp-bench PORT PATH CONNECTIONS SECONDS REQ.der...\n");
		return 2;
	}
	port = atoi(argv[1]);
	path = argv[2];
	conns = strtoul(argv[3], NULL, 10);
	seconds = atof(argv[4]);
	if (conns < 1 || conns > 64 || seconds <= 0 || seconds > 600)
		return 2;
	if ((size_t)argc - 5 > MAX_REQS) {
		fprintf(stderr, "ocsp-bench: at most %d requests\n", MAX_REQS);
		return 2;
	}
	for (i = 5; i < (size_t)argc; i++)
		if (load(argv[i], &reqs[n_reqs++]) < 0) {
			fprintf(stderr, "ocsp-bench: cannot read %s\n", argv[i]);
			return 2;
		}
	w = calloc(conns, sizeof(*w));
	for (i = 0; w && i < conns; i++) {
		w[i].lat_us = malloc(MAX_SAMPLES * sizeof(uint32_t));
		if (!w[i].lat_us)
			return 1;
	}
	t0 = now_s();
	for (i = 0; i < conns; i++)
		w[i].idx = i;
	for (i = 0; i < conns; i++)
		pthread_create(&w[i].th, NULL, run, &w[i]);
	for (i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].n;
		err |= w[i].err;
	}
	el = now_s() - t0;
	if (err || total == 0) {
		fprintf(stderr, "ocsp-bench: a request failed (%zu answered)\n", total);
		return 1;
	}
	all = malloc(total * sizeof(*all));
	for (i = 0; i < conns; i++) {
		memcpy(all + k, w[i].lat_us, w[i].n * sizeof(*all));
		k += w[i].n;
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("responses %zu seconds %.2f rate %.0f p50_us %u p99_us %u max_us %u\n",
	       total, el, total / el, all[total / 2], all[total * 99 / 100],
	       all[total - 1]);
	return 0;
}
