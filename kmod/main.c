// SPDX-License-Identifier: GPL-2.0
/*
 * pkiks.ko: the keystore, authoritative-time gate and PKI timers of pkid.
 * Init brings the subsystems up in dependency order and unwinds in
 * reverse on failure; exit first stops every source of new work (the
 * clock check, the timers, then the netlink family) before freeing state.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "uapi/pkiks.h"
#include "clock.h"
#include "keys.h"
#include "netlink.h"
#include "sysfs.h"
#include "timers.h"
#include "wrap.h"

static int __init pkiks_init(void)
{
	int err;

	err = pkiks_clock_init();
	if (err)
		return err;
	err = pkiks_wrap_init();
	if (err)
		goto err_clock;
	err = pkiks_keys_init();
	if (err)
		goto err_wrap;
	err = pkiks_sysfs_init();
	if (err)
		goto err_keys;
	err = pkiks_timers_init();
	if (err)
		goto err_sysfs;
	err = pkiks_netlink_init();
	if (err)
		goto err_timers;
	pkiks_clock_start();
	pr_info("pkiks: keystore loaded (protocol %d)\n", PKIKS_GENL_VERSION);
	return 0;

err_timers:
	pkiks_timers_quiesce();
	pkiks_timers_uninit();
err_sysfs:
	pkiks_sysfs_uninit();
err_keys:
	pkiks_keys_uninit();
err_wrap:
	pkiks_wrap_uninit();
err_clock:
	pkiks_clock_uninit();
	return err;
}

static void __exit pkiks_exit(void)
{
	pkiks_clock_stop();
	pkiks_timers_quiesce();
	pkiks_netlink_uninit();
	pkiks_timers_uninit();
	pkiks_sysfs_uninit();
	pkiks_keys_uninit();
	pkiks_wrap_uninit();
	pkiks_clock_uninit();
	pr_info("pkiks: unloaded\n");
}

module_init(pkiks_init);
module_exit(pkiks_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pkid keystore, authoritative-time gate and PKI timers");
MODULE_AUTHOR("pkid");
MODULE_VERSION("1");
MODULE_ALIAS_GENL_FAMILY(PKIKS_GENL_NAME);
