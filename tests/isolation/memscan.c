// SPDX-License-Identifier: MIT
/*
 * memscan: search a live process's whole memory for private key material
 * (RSA; and ECDSA: the CA's TLS key).
 *
 *   memscan PID KEY.pem...
 *
 * For every key it takes the secret components p, q and d (an EC key: its
 * private scalar d, at the curve's size) and searches
 * every readable mapping of PID (/proc/PID/maps, read through
 * /proc/PID/mem; needs root or ptrace rights) for each of them in both
 * byte orders: big-endian (DER, wire formats, OpenSSL's bin2bn input) and
 * little-endian (BIGNUM limbs on x86-64 and most other hosts).  Besides
 * the whole value it looks for three 32-byte windows of it (start, middle,
 * end), so a partial copy or a value split across limb arrays is found
 * too; 32 random bytes do not occur by chance.
 *
 * Prints one line per hit and a summary with the bytes read.  Exit: 0
 * nothing found, 1 something found, 2 the scan itself failed (no memory
 * could be read, a key would not load): the caller must never mistake a
 * failed scan for a clean one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define WINDOW 32
#define CHUNK  (1 << 20)

/* One byte string to look for, and where it came from. */
struct needle {
	char what[160]; /* "key.pem p big-endian window 0" */
	unsigned char *bytes;
	size_t len;
	int hits;
};

struct scan {
	struct needle *n;
	size_t count, cap;
	uint64_t bytes_read;
	unsigned int maps_read, maps_failed;
};

static int add_needle(struct scan *s, const char *what, const unsigned char *b,
		      size_t len)
{
	struct needle *n;

	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct needle *m = realloc(s->n, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		s->n = m;
		s->cap = cap;
	}
	n = &s->n[s->count];
	memset(n, 0, sizeof(*n));
	snprintf(n->what, sizeof(n->what), "%s", what);
	n->bytes = malloc(len);
	if (!n->bytes)
		return -ENOMEM;
	memcpy(n->bytes, b, len);
	n->len = len;
	s->count++;
	return 0;
}

/* The whole value and three windows of it, in one byte order. */
static int add_value(struct scan *s, const char *label, const unsigned char *v,
		     size_t len)
{
	size_t at[3] = {0, (len - WINDOW) / 2, len - WINDOW};
	char what[160];
	int err;

	snprintf(what, sizeof(what), "%s whole", label);
	err = add_needle(s, what, v, len);
	for (int i = 0; !err && i < 3; i++) {
		snprintf(what, sizeof(what), "%s bytes %zu..%zu", label, at[i],
			 at[i] + WINDOW - 1);
		err = add_needle(s, what, v + at[i], WINDOW);
	}
	return err;
}

/* pad: the value's size (an EC scalar's leading zeros count), 0: as is */
static int add_component(struct scan *s, const char *file, EVP_PKEY *pkey,
			 const char *param, const char *name, int pad)
{
	unsigned char be[1024], le[1024];
	BIGNUM *bn = NULL;
	char label[160];
	int len, err;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return -EINVAL;
	len = pad ? BN_bn2binpad(bn, be, pad) : BN_bn2bin(bn, be);
	BN_clear_free(bn);
	/* An RSA part is >= 2 windows, a P-256 scalar exactly one. */
	if (len < (pad ? WINDOW : 2 * WINDOW) || len > (int)sizeof(be))
		return -EINVAL;
	for (int i = 0; i < len; i++)
		le[i] = be[len - 1 - i];
	snprintf(label, sizeof(label), "%s %s big-endian", file, name);
	err = add_value(s, label, be, (size_t)len);
	snprintf(label, sizeof(label), "%s %s little-endian", file, name);
	if (!err)
		err = add_value(s, label, le, (size_t)len);
	OPENSSL_cleanse(be, sizeof(be));
	OPENSSL_cleanse(le, sizeof(le));
	return err;
}

static int load_key(struct scan *s, const char *file)
{
	static const char *const params[][2] = {
		{OSSL_PKEY_PARAM_RSA_FACTOR1, "p"},
		{OSSL_PKEY_PARAM_RSA_FACTOR2, "q"},
		{OSSL_PKEY_PARAM_RSA_D, "d"},
	};
	FILE *f = fopen(file, "r");
	EVP_PKEY *pkey = NULL;
	int err = -EINVAL;

	if (!f)
		return -errno;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey && EVP_PKEY_is_a(pkey, "EC")) {
		err = add_component(s, file, pkey, OSSL_PKEY_PARAM_PRIV_KEY, "d",
				    (EVP_PKEY_get_bits(pkey) + 7) / 8);
		goto out;
	}
	if (!pkey || !EVP_PKEY_is_a(pkey, "RSA"))
		goto out;
	for (size_t i = 0; i < 3; i++) {
		err = add_component(s, file, pkey, params[i][0], params[i][1],
				    0);
		if (err)
			goto out;
	}
out:
	EVP_PKEY_free(pkey);
	return err;
}

/* Search one buffer; off is the buffer's address in the target. */
static void search(struct scan *s, const unsigned char *buf, size_t len,
		   uint64_t addr, const char *mapname)
{
	for (size_t i = 0; i < s->count; i++) {
		struct needle *n = &s->n[i];
		const unsigned char *p = buf, *end = buf + len;

		while ((p = memmem(p, (size_t)(end - p), n->bytes, n->len))) {
			n->hits++;
			printf("FOUND %s at 0x%" PRIx64 " in %s\n", n->what,
			       addr + (uint64_t)(p - buf), mapname);
			p++;
		}
	}
}

/*
 * Read one mapping in chunks that overlap by the longest needle, so a
 * value straddling two chunks is still seen.
 */
static int scan_mapping(struct scan *s, int mem, uint64_t start, uint64_t end,
			const char *name, unsigned char *buf, size_t overlap)
{
	uint64_t at = start;
	ssize_t n;

	while (at < end) {
		size_t want = end - at > CHUNK ? CHUNK : (size_t)(end - at);

		n = pread(mem, buf, want, (off_t)at);
		if (n <= 0)
			return at == start ? -EIO : 0;
		s->bytes_read += (uint64_t)n;
		search(s, buf, (size_t)n, at, name);
		if ((size_t)n < want || at + (uint64_t)n >= end)
			break;
		at += (uint64_t)n > overlap ? (uint64_t)n - overlap
					    : (uint64_t)n;
	}
	return 0;
}

static int scan_process(struct scan *s, const char *pid)
{
	char path[64], line[4096], perms[8], name[4096];
	unsigned long long start, end;
	size_t overlap = 0;
	unsigned char *buf = malloc(CHUNK);
	FILE *maps;
	int mem;

	for (size_t i = 0; i < s->count; i++)
		if (s->n[i].len > overlap)
			overlap = s->n[i].len;
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	mem = open(path, O_RDONLY);
	if (!buf || !maps || mem < 0) {
		fprintf(stderr, "memscan: cannot open /proc/%s: %s\n", pid,
			strerror(errno));
		free(buf);
		if (maps)
			fclose(maps);
		return -1;
	}
	while (fgets(line, sizeof(line), maps)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %4095[^\n]", &start,
			   &end, perms, name) < 3 ||
		    perms[0] != 'r')
			continue;
		if (scan_mapping(s, mem, start, end, name[0] ? name : "[anon]",
				 buf, overlap - 1)) {
			/* [vvar], [vsyscall]: not readable through mem */
			s->maps_failed++;
			printf("unreadable %llx-%llx %s\n", start, end, name);
		} else
			s->maps_read++;
	}
	fclose(maps);
	close(mem);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct scan s = {0};
	int found = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: memscan PID KEY.pem...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (load_key(&s, argv[i])) {
			fprintf(stderr, "memscan: %s: not an RSA private key\n",
				argv[i]);
			return 2;
		}
	if (scan_process(&s, argv[1]) || s.maps_read == 0 ||
	    s.bytes_read == 0) {
		fprintf(stderr, "memscan: could not read pid %s's memory\n",
			argv[1]);
		return 2;
	}
	for (size_t i = 0; i < s.count; i++)
		found += s.n[i].hits > 0;
	printf("memscan: pid %s: %u mappings, %" PRIu64
	       " bytes read (%u unreadable); %zu needles, %d found\n",
	       argv[1], s.maps_read, s.bytes_read, s.maps_failed, s.count,
	       found);
	return found ? 1 : 0;
}
