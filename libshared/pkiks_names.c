// SPDX-License-Identifier: MIT
/*
 * Names of the pkiks protocol's enums, as an operator reads them (IOS timer
 * names, sysfs directory names) and the name rules both hosts enforce.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keystore.h"

#define KIND_NAME(suffix, ios) [PKIKS_TIMER_##suffix] = ios,
static const char *const kind_names[__PKIKS_TIMER_KIND_MAX] = {
	PKIKS_TIMER_KINDS(KIND_NAME)
};
#undef KIND_NAME

#define KIND_SYSFS(suffix, ios) [PKIKS_TIMER_##suffix] = #suffix,
static const char *const kind_sysfs[__PKIKS_TIMER_KIND_MAX] = {
	PKIKS_TIMER_KINDS(KIND_SYSFS)
};
#undef KIND_SYSFS

static const char *const source_names[__PKIKS_CLOCK_MAX] = {
	[PKIKS_CLOCK_NONE] = "none",
	[PKIKS_CLOCK_CALENDAR] = "calendar",
	[PKIKS_CLOCK_NTP] = "ntp",
	[PKIKS_CLOCK_LAB] = "lab",
};

static const char *const state_names[__PKIKS_TIMER_STATE_MAX] = {
	[PKIKS_TIMER_WAITING] = "waiting",
	[PKIKS_TIMER_ARMED] = "armed",
	[PKIKS_TIMER_EXPIRED] = "expired",
};

static const char *const hash_names[__PKIKS_HASH_MAX] = {
	[PKIKS_HASH_SHA1] = "sha1",
	[PKIKS_HASH_SHA256] = "sha256",
	[PKIKS_HASH_SHA384] = "sha384",
	[PKIKS_HASH_SHA512] = "sha512",
};

/* NULL for values outside the enum. */
const char *pkiks_timer_kind_name(enum pkiks_timer_kind kind)
{
	return (unsigned)kind < __PKIKS_TIMER_KIND_MAX ? kind_names[kind]
						       : NULL;
}

const char *pkiks_timer_kind_sysfs(enum pkiks_timer_kind kind)
{
	return (unsigned)kind < __PKIKS_TIMER_KIND_MAX ? kind_sysfs[kind]
						       : NULL;
}

/* Accepts the IOS name ("CS CRL UPDATE") or the sysfs one, any case. */
int pkiks_timer_kind_parse(const char *name, enum pkiks_timer_kind *kind)
{
	int k;

	if (!name)
		return -EINVAL;
	for (k = 1; k < __PKIKS_TIMER_KIND_MAX; k++) {
		if (!strcasecmp(name, kind_names[k]) ||
		    !strcasecmp(name, kind_sysfs[k])) {
			*kind = k;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pkiks_clock_source_name(enum pkiks_clock_source src)
{
	return (unsigned)src < __PKIKS_CLOCK_MAX ? source_names[src]
						 : "unknown";
}

const char *pkiks_timer_state_name(enum pkiks_timer_state st)
{
	return (unsigned)st < __PKIKS_TIMER_STATE_MAX ? state_names[st]
						      : "unknown";
}

const char *pkiks_hash_name(enum pkiks_hash hash)
{
	const char *n =
		(unsigned)hash < __PKIKS_HASH_MAX ? hash_names[hash] : NULL;

	return n ? n : "unknown";
}

static const struct {
	const char *name, *group;
	size_t ec_bytes;
} key_types[__PKIKS_KEY_TYPE_MAX] = {
	[PKIKS_KEY_RSA] = {"rsa", NULL, 0},
	[PKIKS_KEY_EC_P256] = {"ec-p256", "prime256v1", 32},
	[PKIKS_KEY_EC_P384] = {"ec-p384", "secp384r1", 48},
};

const char *pkiks_key_type_name(enum pkiks_key_type type)
{
	return (unsigned)type < __PKIKS_KEY_TYPE_MAX ? key_types[type].name
						      : "unknown";
}

const char *pkiks_key_type_group(enum pkiks_key_type type)
{
	return (unsigned)type < __PKIKS_KEY_TYPE_MAX ? key_types[type].group
						      : NULL;
}

size_t pkiks_key_type_ec_bytes(enum pkiks_key_type type)
{
	return (unsigned)type < __PKIKS_KEY_TYPE_MAX ? key_types[type].ec_bytes
						      : 0;
}

static int name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/*
 * A predicate: 1 when @name is a valid key name (1..PKIKS_NAME_MAX-1 bytes
 * in all, of [A-Za-z0-9._-] with at most one trailing '#' after at least
 * one such character), else 0.
 */
int pkiks_key_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return 0;
	len = strnlen(name, PKIKS_NAME_MAX);
	if (len == 0 || len >= PKIKS_NAME_MAX)
		return 0;
	if (name[len - 1] == '#')
		len--;
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!name_char_ok(name[i]))
			return 0;
	return 1;
}

/* A predicate like pkiks_key_name_valid(), without the '#'. */
int pkiks_timer_owner_valid(const char *name)
{
	return pkiks_key_name_valid(name) && !strchr(name, '#');
}

/* 1..PKIKS_LABEL_MAX-1 bytes of PKIKS_LABEL_CHAR_OK (uapi/pkiks.h). */
int pkiks_timer_label_valid(const char *label)
{
	size_t len, i;

	if (!label)
		return 0;
	len = strnlen(label, PKIKS_LABEL_MAX);
	if (len == 0 || len >= PKIKS_LABEL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!PKIKS_LABEL_CHAR_OK(label[i]))
			return 0;
	return 1;
}

/* 1..INT64_MAX: the kernel's hrtimers take a signed ktime. */
int pkiks_timer_deadline_valid(uint64_t deadline_ns)
{
	return deadline_ns > 0 && deadline_ns <= (uint64_t)INT64_MAX;
}

int pkiks_timer_dir_name(enum pkiks_timer_kind kind, const char *label,
			 char *buf, size_t len)
{
	const char *kname = pkiks_timer_kind_sysfs(kind);
	int n;

	if (kind == PKIKS_TIMER_UNSPEC || !kname)
		return -EINVAL;
	if (kind != PKIKS_TIMER_GENERIC)
		n = snprintf(buf, len, "%s", kname);
	else if (pkiks_timer_label_valid(label))
		n = snprintf(buf, len, "%s:%s", kname, label);
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}
