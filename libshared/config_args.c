// SPDX-License-Identifier: MIT
/*
 * pkid.conf argument parsers: numbers with ranges, keywords with IOS
 * abbreviations, durations, names, DNs, URLs, paths, passwords, prefixes.
 * Each reports its own error with the IOS-style message.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_internal.h"

int conf_copy(struct parser *p, const struct cmdline *c, char *dst, size_t size,
	      const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		conf_err(p,
			 "'%s': value too long (%zu characters, at most %zu)",
			 c->name, len, size - 1);
		return -EINVAL;
	}
	memset(dst, 0, size);
	memcpy(dst, src, len);
	return 0;
}

int conf_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One numeric argument, with the IOS-style message on error. */
int conf_uint(struct parser *p, const struct cmdline *c, int i,
	      const char *what, unsigned long min, unsigned long max,
	      unsigned long *out)
{
	if (i >= c->argc) {
		conf_err(p, "'%s': expected %s (%lu-%lu)", c->name, what, min,
			 max);
		return -EINVAL;
	}
	if (conf_parse_uint(c->argv[i], min, max, out)) {
		conf_err(p, "'%s': expected %s (%lu-%lu), got '%s'", c->name,
			 what, min, max, c->argv[i]);
		return -EINVAL;
	}
	return 0;
}

int conf_no_more(struct parser *p, const struct cmdline *c, int n)
{
	if (c->argc > n) {
		conf_err(p, "'%s': unexpected '%s'", c->name, c->argv[n]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Abbreviation rule for one word among `words` (NULL-terminated): index
 * of the match, -ENOENT if none, -EDEADLK (reported as ambiguous) if two.
 */
int conf_match_word(const char *w, const char *const *words)
{
	size_t len = strlen(w);
	int found = -ENOENT;

	for (int i = 0; words[i]; i++) {
		if (!strcmp(words[i], w))
			return i;
		if (!strncmp(words[i], w, len)) {
			if (found >= 0)
				return -EDEADLK;
			found = i;
		}
	}
	return found;
}

static void join_words(const char *const *words, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; words[i] && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
			      words[i]);
}

/* An argument that must be one of `words`; returns its index. */
int conf_keyword(struct parser *p, const struct cmdline *c, int i,
		 const char *const *words)
{
	char list[256];
	int k;

	join_words(words, list, sizeof(list));
	if (i >= c->argc) {
		conf_err(p, "'%s': expected one of: %s", c->name, list);
		return -EINVAL;
	}
	k = conf_match_word(c->argv[i], words);
	if (k == -EDEADLK) {
		conf_err(p, "'%s': '%s' is ambiguous (%s)", c->name, c->argv[i],
			 list);
		return -EINVAL;
	}
	if (k < 0) {
		conf_err(p, "'%s': expected one of: %s, got '%s'", c->name,
			 list, c->argv[i]);
		return -EINVAL;
	}
	return k;
}

/* D [H [M]] from argument `i`, days within 0..max_days, total > 0. */
int conf_duration(struct parser *p, const struct cmdline *c, int i,
		  unsigned long max_days, int64_t *out)
{
	unsigned long d, h = 0, m = 0;

	if (conf_uint(p, c, i, "days", 0, max_days, &d))
		return -EINVAL;
	if (c->argc > i + 1 && conf_uint(p, c, i + 1, "hours", 0, 23, &h))
		return -EINVAL;
	if (c->argc > i + 2 && conf_uint(p, c, i + 2, "minutes", 0, 59, &m))
		return -EINVAL;
	if (conf_no_more(p, c, i + 3))
		return -EINVAL;
	if (d == 0 && h == 0 && m == 0) {
		conf_err(p, "'%s': the duration must not be zero", c->name);
		return -EINVAL;
	}
	*out = (int64_t)d * PKID_DAY + h * PKID_HOUR + m * 60;
	return 0;
}

/* H [M] from argument `i`. */
int conf_hours(struct parser *p, const struct cmdline *c, int i,
	       unsigned long max_hours, bool minutes, int64_t *out)
{
	unsigned long h, m = 0;

	if (conf_uint(p, c, i, "hours", 0, max_hours, &h))
		return -EINVAL;
	if (minutes && c->argc > i + 1 &&
	    conf_uint(p, c, i + 1, "minutes", 0, 59, &m))
		return -EINVAL;
	if (conf_no_more(p, c, i + (minutes ? 2 : 1)))
		return -EINVAL;
	if (h == 0 && m == 0) {
		conf_err(p, "'%s': the duration must not be zero", c->name);
		return -EINVAL;
	}
	*out = h * PKID_HOUR + m * 60;
	return 0;
}

/* The rest of the line from argument i (DNs, commands). */
const char *conf_rest(struct parser *p, const struct cmdline *c, int i,
		      const char *what)
{
	if (i >= c->argc) {
		conf_err(p, "'%s': expected %s", c->name, what);
		return NULL;
	}
	return c->rest[i];
}

static bool name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PKID_CONF_NAME_MAX - 1)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

int conf_name(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc) {
		conf_err(p, "'%s': expected a name", c->name);
		return -EINVAL;
	}
	if (!name_valid(c->argv[i])) {
		conf_err(p,
			 "'%s': '%s' is not a valid name (1-%d of A-Z a-z 0-9 "
			 ". _ "
			 "-)",
			 c->name, c->argv[i], PKID_CONF_NAME_MAX - 1);
		return -EINVAL;
	}
	return conf_copy(p, c, dst, PKID_CONF_NAME_MAX, c->argv[i]);
}

/* A DN as IOS writes it: attr=value[,attr=value...]. */
int conf_dn(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	const char *dn = conf_rest(p, c, i, "a distinguished name (CN=...)");
	const char *s;

	if (!dn)
		return -EINVAL;
	for (s = dn; *s;) {
		const char *eq = strchr(s, '='), *comma = strchr(s, ',');

		if (!eq || eq == s || (comma && comma < eq)) {
			conf_err(p,
				 "'%s': '%s' is not a distinguished name "
				 "(attr=value[,attr=value...])",
				 c->name, dn);
			return -EINVAL;
		}
		s = comma ? comma + 1 : eq + strlen(eq);
	}
	return conf_copy(p, c, dst, PKID_CONF_DN_MAX, dn);
}

int conf_url(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc) {
		conf_err(p, "'%s': expected a URL", c->name);
		return -EINVAL;
	}
	if (!strstr(c->argv[i], "://") && c->argv[i][0] != '/') {
		conf_err(p, "'%s': '%s' is not a URL (scheme://... or /path)",
			 c->name, c->argv[i]);
		return -EINVAL;
	}
	if (conf_no_more(p, c, i + 1))
		return -EINVAL;
	return conf_copy(p, c, dst, PKID_CONF_URL_MAX, c->argv[i]);
}

int conf_path(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc || c->argv[i][0] != '/') {
		conf_err(p, "'%s': expected an absolute path%s%s%s", c->name,
			 i < c->argc ? ", got '" : "",
			 i < c->argc ? c->argv[i] : "", i < c->argc ? "'" : "");
		return -EINVAL;
	}
	if (conf_no_more(p, c, i + 1))
		return -EINVAL;
	return conf_copy(p, c, dst, PKID_CONF_PATH_MAX, c->argv[i]);
}

/* Cisco "type 7" passwords: a public XOR obfuscation, not encryption. */
static int type7_decode(const char *in, char *out, size_t size)
{
	static const char xlat[] =
		"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";
	size_t len = strlen(in), n = 0;
	unsigned int seed, byte;

	if (len < 4 || len % 2 || sscanf(in, "%2u", &seed) != 1 ||
	    !isdigit((unsigned char)in[0]) || !isdigit((unsigned char)in[1]) ||
	    seed > 15)
		return -EINVAL;
	for (size_t i = 2; i < len; i += 2) {
		if (!isxdigit((unsigned char)in[i]) ||
		    !isxdigit((unsigned char)in[i + 1]) ||
		    sscanf(in + i, "%2x", &byte) != 1 || n + 1 >= size)
			return -EINVAL;
		out[n] = (char)(byte ^ (unsigned char)xlat[(seed + n) % 53]);
		/* The clear text must be one config word again ("0 PW"). */
		if (!isgraph((unsigned char)out[n]))
			return -EINVAL;
		n++;
	}
	out[n] = 0;
	return 0;
}

/* [0|7] PW from argument i: IOS prints "password 0 PW" or "7 HEX". */
int conf_password(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	char clear[PKID_CONF_PW_MAX];

	if (i >= c->argc) {
		conf_err(p, "'%s': expected a password", c->name);
		return -EINVAL;
	}
	if (c->argc == i + 1)
		return conf_copy(p, c, dst, PKID_CONF_PW_MAX, c->argv[i]);
	if (conf_no_more(p, c, i + 2))
		return -EINVAL;
	if (!strcmp(c->argv[i], "0"))
		return conf_copy(p, c, dst, PKID_CONF_PW_MAX, c->argv[i + 1]);
	if (strcmp(c->argv[i], "7")) {
		conf_err(p, "'%s': expected [0|7] PASSWORD, got '%s'", c->name,
			 c->argv[i]);
		return -EINVAL;
	}
	if (type7_decode(c->argv[i + 1], clear, sizeof(clear))) {
		conf_err(p, "'%s': '%s' is not a valid type 7 password",
			 c->name, c->argv[i + 1]);
		return -EINVAL;
	}
	return conf_copy(p, c, dst, PKID_CONF_PW_MAX, clear);
}

int conf_prefix(const char *s, struct pkid_prefix *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len, max;

	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = 0;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	max = out->family == AF_INET ? 32 : 128;
	len = max;
	if (slash && conf_parse_uint(slash + 1, 0, max, &len))
		return -EINVAL;
	out->len = len;
	/* clear host bits so that equal prefixes compare equal */
	for (unsigned int bit = len; bit < max; bit++)
		out->addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	return 0;
}
