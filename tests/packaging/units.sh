#!/bin/bash
# check-units: the systemd units in packaging/systemd, without installing
# them: systemd-analyze security --offline rates each unit's sandbox
# (exposure 0 = locked down .. 10 = none) and must stay "OK"; and the
# promises the man pages make hold: pkid runs as user pkid with
# CAP_NET_BIND_SERVICE only, pkiksd yields to the module, the module unit
# is skipped (not failed) where the module is absent, and the keystore
# units use the root-only KEK file.  (check-packaging runs systemd-analyze
# verify on the installed units, where the binaries exist.)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/packaging/systemd
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
command -v systemd-analyze >/dev/null || {
	echo "check-units: SKIP: no systemd-analyze"
	exit 0
}

# exposure x 10 allowed per unit: the module loader is root by nature
declare -A limit=([pkid.service]=20 [pkiksd.service]=20 [pkiks-module.service]=30
	[pkiks-ntpwatch.service]=20)
for u in "${!limit[@]}"; do
	[ -f "$dir/$u" ] || { fail "$u missing"; continue; }
	out=$(cd "$dir" && systemd-analyze security --offline=true \
		--threshold="${limit[$u]}" "$u" 2>&1)
	rc=$?
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	[ $rc -eq 0 ] && [ -n "$score" ] ||
		fail "$u: exposure ${score:-?} over $((${limit[$u]} / 10)).$((${limit[$u]} % 10))"
	echo "check-units: $u exposure $score"
done

# has UNIT LINE: the unit carries this exact line
has() {
	grep -qxF -- "$2" "$dir/$1" || fail "$1 lacks \"$2\""
}
has pkid.service "User=pkid"
has pkid.service "Group=pkid"
has pkid.service "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"
has pkid.service "AmbientCapabilities=CAP_NET_BIND_SERVICE"
has pkid.service "ReadWritePaths=/var/lib/pkid"
has pkid.service "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"
has pkid.service "ExecReload=/bin/kill -HUP \$MAINPID"
for u in pkid.service pkiksd.service pkiks-module.service; do
	has "$u" "NoNewPrivileges=yes"
	has "$u" "ProtectSystem=strict"
	has "$u" "ProtectHome=yes"
	has "$u" "PrivateTmp=yes"
	has "$u" "SystemCallArchitectures=native"
	grep -q '^SystemCallFilter=@system-service' "$dir/$u" || fail "$u: no @system-service filter"
done
has pkiksd.service "ConditionPathExists=!/sys/kernel/pkiks"
has pkiksd.service "After=pkiks-module.service local-fs.target"
has pkiks-module.service "ExecCondition=/sbin/modprobe --dry-run --quiet pkiks"
grep -q -- '--kek-file /etc/pkiks/kek' "$dir/pkiksd.service" || fail "pkiksd.service: no KEK file"
has pkiks-module.service "ExecStart=/usr/sbin/pkiks-kek --create /etc/pkiks/kek"

[ "$fails" -eq 0 ] || exit 1
echo "check-units: 3 units, sandboxes rated OK"
