#!/bin/bash
# tools/demo/fresh.sh: time `make demo` as a newcomer meets it: a fresh
# Debian 12 root filesystem, a fresh clone, `make demo` as root with the
# network to the Debian mirrors (README's figure).
#
#   tools/demo/fresh.sh BASE.tar [REPO [REV]]
#
# BASE.tar: a Debian 12 root filesystem as a tarball (for instance
# `mmdebstrap bookworm base.tar`); REPO (default: this repository) is
# cloned at REV (default HEAD) into /root/pkid of a copy of it.  Prints
# each line of `make demo` with the seconds since it started, then the
# phases (apt, build, demo: where their first lines appear), the packages
# apt installed and the load average before and after.  As root (chroot,
# mounts); the copy is removed at the end (KEEP=1 keeps it).
set -euo pipefail
[ $# -ge 1 ] || { sed -n '/^#   tools/s/^# *//p' "$0" >&2; exit 2; }
base=$(readlink -f "$1")
repo=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
rev=${3:-HEAD}
[ "$(id -u)" = 0 ] || { echo "fresh: as root (chroot, mount)" >&2; exit 1; }
root=$(mktemp -d /tmp/pkid-fresh.XXXXXX)
mounts=()
cg=/sys/fs/cgroup/cpuacct/pkid-fresh-$$

cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -l "${mounts[i]}" 2>/dev/null || true
	done
	[ -d "$cg" ] && rmdir "$cg" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "fresh: kept $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT

mnt() { # ARGS... TARGET
	mount "$@"
	mounts+=("${*: -1}")
}

tar -xf "$base" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mnt -t proc proc "$root/proc"
mnt -t sysfs sysfs "$root/sys"
mnt --bind /dev "$root/dev"
mnt --bind /dev/pts "$root/dev/pts"
git clone -q "$repo" "$root/root/pkid"
git -C "$root/root/pkid" checkout -q "$rev"
echo "fresh: $(git -C "$root/root/pkid" log --oneline -1)"
echo "fresh: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir "$cg"
log=$root/root/demo.log
set +e
(echo "$BASHPID" >"$cg/tasks" && exec chroot "$root" /bin/bash -c 'cd /root/pkid && make demo') 2>&1 |
	CG=$cg perl -MTime::HiRes=time -ne 'BEGIN { $t0 = time }
		open(my $f, "<", "$ENV{CG}/cpuacct.usage"); my $ns = <$f>; close($f);
		printf "%6.1f %6.1f %s", time - $t0, $ns / 1e9, $_' |
	tee "$log"
rc=${PIPESTATUS[0]}
set -e
cpu=$(awk '{ printf "%.1f", $1 / 1e9 }' "$cg/cpuacct.usage")
echo "fresh: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# at PATTERN: "WALL s (CPU s of CPU)" of the first line whose text matches.
at() { awk -v p="$1" '{ t = $0; sub(/^ *[0-9.]+ +[0-9.]+ /, "", t) }
	t ~ p { printf "%s s (%s s of CPU)", $1, $2; exit }' "$log"; }
total=$(tail -n 1 "$log" | awk '{ print $1 }')
echo "fresh: make demo exit status $rc, $total s in all, $cpu s of CPU"
echo "fresh: apt from $(at '^deps: installing'), build from $(at '^(cc|clang) '), demo from $(at '^demo: ')"
grep -E 'newly installed|^Need to get' "$root/tmp/pkid-deps.log" 2>/dev/null | sed 's/^/fresh: apt: /'
exit "$rc"
