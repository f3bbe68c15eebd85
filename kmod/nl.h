/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by netlink.c (family, helpers) and the cmd_*.c handlers. */
#ifndef PKIKS_NL_H
#define PKIKS_NL_H

#include <net/genetlink.h>

#include "uapi/pkiks.h"
#include "clock.h"
#include "keys.h"
#include "timers.h"

extern struct genl_family pkiks_family;

struct nl_caller {
	u32 uid;     /* euid in the initial user namespace */
	bool admin;  /* CAP_NET_ADMIN */
	bool member; /* admin, or in the user_gid group */
};

void nl_caller_of(const struct sk_buff *skb, struct nl_caller *c);
int nl_owner_for(struct genl_info *info, const struct nl_caller *c, u32 *uid);
const char *nl_name_attr(struct genl_info *info, int type, bool allow_hash);
int nl_key_for(struct genl_info *info, const struct nl_caller *c,
	       struct pkiks_key **out);

struct sk_buff *nl_reply_new(struct genl_info *info, void **hdr);
int nl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info);
int nl_reply_binary(struct genl_info *info, int type, const void *data,
		    size_t len);
int nl_put_key(struct sk_buff *skb, const struct pkiks_key *key);
int nl_put_timer(struct sk_buff *skb, const struct pkiks_timer_info *t);
int nl_put_clock(struct sk_buff *skb, const struct pkiks_clock_state *st);

/* The handlers (cmd_keys.c, cmd_time.c), named after PKIKS_CMD_TABLE. */
#define NL_DO(name) int nl_do_##name(struct sk_buff *skb, struct genl_info *info);
#define NL_DUMP(name) \
	int nl_dump_##name(struct sk_buff *skb, struct netlink_callback *cb);
#define NL_DO_DUMP(name) NL_DO(name) NL_DUMP(name)
#define NL_SUB(name)
#define NL_HANDLER(name, right, mode, attrs) NL_##mode(name)
PKIKS_CMD_TABLE(NL_HANDLER)
#undef NL_HANDLER

#endif /* PKIKS_NL_H */
