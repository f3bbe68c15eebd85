/* SPDX-License-Identifier: MIT */
/* pkiks-vmtest: the command table and the helpers its files share. */
#ifndef PKID_VMTEST_H
#define PKID_VMTEST_H

#include <stddef.h>

#include "keystore.h"

#define VM_LOCAL_ERROR 255

struct vm_cmd {
	const char *name;
	int min_args;
	const char *args;
	int (*fn)(int argc, char **argv); /* 0, -errno, or VM_LOCAL_ERROR */
};

/* vm_keys.c */
int cmd_info(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_wrap(int argc, char **argv);
int cmd_unwrap(int argc, char **argv);
int cmd_kek_set(int argc, char **argv);
/* vm_time.c */
int cmd_clock(int argc, char **argv);
int cmd_clock_set(int argc, char **argv);
int cmd_timer_arm(int argc, char **argv);
int cmd_timer_cancel(int argc, char **argv);
int cmd_timers(int argc, char **argv);
int cmd_timer_wait(int argc, char **argv);
int cmd_events(int argc, char **argv);
/* vm_fuzz.c */
int cmd_fuzz(int argc, char **argv);
/* vm_malformed.c */
int cmd_malformed(int argc, char **argv);
/* vm_blob.c */
int cmd_mkblob(int argc, char **argv);
int cmd_openblob(int argc, char **argv);
/* vm_bench.c */
int cmd_bench(int argc, char **argv);

/* vm_util.c */
extern const char *vm_twin_socket; /* --twin: pkiksd instead of the module */
int vm_open(struct pkiks **ks);
int vm_read_file(const char *path, unsigned char **buf, size_t *len);
int vm_write_file(const char *path, const void *buf, size_t len);
int vm_local_error(const char *fmt, ...);

#endif /* PKID_VMTEST_H */
