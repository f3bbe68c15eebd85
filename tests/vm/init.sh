#!/bin/busybox sh
# PID 1 of the pkiks test VM: mount the basics, run /tests.sh in the mode
# the host put on the kernel command line (vmtest=check|bench|fuzz-long),
# and power off.  /tests.sh prints the PKIKS-VM-RESULT line the host
# waits for; if anything hangs, the host's timeout kills qemu.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo 7 >/proc/sys/kernel/printk_ratelimit 2>/dev/null
sh /tests.sh "${vmtest:-check}" </dev/null >/dev/console 2>&1 ||
	echo "PKIKS-VM-RESULT: FAIL tests.sh exited $?" >/dev/console
sync
poweroff -f
