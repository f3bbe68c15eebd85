#!/bin/bash
# check-packaging: build the .debs, install them on this machine with apt,
# and check what an operator gets:
#   - DKMS built and installed pkiks.ko for the Debian 6.1 kernel whose
#     headers are installed (the host may run another kernel: -k explicit);
#   - the pkid user and group, and the module's user_gid set to that group;
#   - `pkid -t` and `pkictl check` accept the shipped /etc/pkid/pkid.conf;
#   - the installed pkiksd starts and answers the installed pkictl;
#   - the installed pkid runs as user pkid with the shipped configuration,
#     on that pkiksd (the module cannot load on this host), in a private
#     mount and network namespace so that its /run/pkid and port 80 are
#     its own; its GetCACaps reply feeds `pkictl check --caps`;
#   - systemd-analyze verify accepts the installed units; man finds the
#     pages; the completion is installed;
# then purges both packages and checks that nothing is left (every path
# dpkg lists for them, DKMS tree, module, user, /etc/pkiks, modprobe
# options, unit symlinks).  DKMS's own signing key pair, which DKMS creates
# on the first module build of a fresh machine, is DKMS's and stays; the
# test checks that pkiks.ko was signed with it.
# Needs root (apt-get); skips with a message otherwise.
set -uo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "check-packaging: SKIP: needs root (apt-get install of the .debs)"
	exit 0
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/packaging/dkms.conf")
kver=$(ls -d /lib/modules/6.1.0-*-amd64/build 2>/dev/null | sed 's,/lib/modules/,,;s,/build,,' | sort -V | tail -1)
[ -n "$kver" ] || {
	echo "check-packaging: no linux-headers 6.1.0-*-amd64 (make deps)" >&2
	exit 1
}
apt_opts=(-y -q -o DPkg::Lock::Timeout=120)
export DEBIAN_FRONTEND=noninteractive
tmp=$(mktemp -d)
chmod 0711 "$tmp"
fails=0
ksd_pid= pkid_pid=

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

stop() { # PID: SIGTERM, then SIGKILL after 5 s
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

purge() {
	apt-get purge "${apt_opts[@]}" pkid pkiks-dkms >"$tmp/purge.log" 2>&1
}

cleanup() {
	stop "$pkid_pid"
	stop "$ksd_pid"
	if dpkg -s pkid >/dev/null 2>&1 || dpkg -s pkiks-dkms >/dev/null 2>&1; then
		purge || cat "$tmp/purge.log" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: bounded polling, 10 tries a second
wait_for() {
	local n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

if dpkg -s pkid >/dev/null 2>&1 || dpkg -s pkiks-dkms >/dev/null 2>&1; then
	echo "check-packaging: purging pkid/pkiks-dkms left by an earlier run"
	purge || { cat "$tmp/purge.log" >&2; exit 1; }
fi

# DKMS's module signing key pair (framework.conf: mok_signing_key,
# mok_certificate; default /var/lib/dkms/mok.key and mok.pub).  DKMS makes
# it on the first signed build on a machine, whatever the module, and keeps
# it for every later one: it belongs to DKMS, not to our packages, and a
# purge must not take it away.  The footprint below leaves it out only when
# this run created it and pkiks.ko carries its signature (checked in 2).
dkms_conf() { # VAR DEFAULT: the last setting in DKMS's framework files
	local v
	v=$(cat /etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf 2>/dev/null |
		sed -n "s/^[[:space:]]*$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[[:space:]]*$/\1/p" | tail -1)
	echo "${v:-$2}"
}
mok_key=$(dkms_conf mok_signing_key /var/lib/dkms/mok.key)
mok_cert=$(dkms_conf mok_certificate /var/lib/dkms/mok.pub)
mok_had=no
[ -e "$mok_key" ] || [ -e "$mok_cert" ] && mok_had=yes
mok_made=no

# What the packages touch, listed before the install and after the purge:
# the two lists must be equal.
footprint() {
	find /etc/pkid /etc/pkiks /etc/modprobe.d /etc/systemd/system \
		/var/lib/pkid /var/lib/pkiks /var/lib/dkms /usr/src \
		"/lib/modules/$kver" /lib/systemd/system /usr/sbin /usr/lib/pkid \
		/usr/lib/*/ossl-modules /usr/share/man/man4 /usr/share/man/man5 \
		/usr/share/man/man8 /usr/share/bash-completion/completions \
		/usr/share/doc/pkid /usr/share/doc/pkiks-dkms \
		/usr/share/lintian/overrides 2>/dev/null | sort
	grep -h '^pkid:' /etc/passwd /etc/group
}
# The same, without the DKMS key pair when this run created it.
footprint_ours() {
	if [ "$mok_made" = yes ]; then
		footprint | grep -vxF -e "$mok_key" -e "$mok_cert"
	else
		footprint
	fi
}
footprint >"$tmp/before"

# 1. build and install
start=$(date +%s)
"$top/packaging/deb/build.sh" "$tmp/deb" >"$tmp/build.log" 2>&1 || {
	tail -30 "$tmp/build.log" >&2
	exit 1
}
# Every path the two packages hold, and which of them the machine already
# had (directories such as /usr/sbin): the purge check (8) wants the others
# gone.
for d in "$tmp"/deb/*.deb; do
	dpkg-deb -c "$d" | awk '{print $6}' | sed 's,^\.,,; s,/$,,' | grep '^/.'
done | sort -u >"$tmp/owned"
[ -s "$tmp/owned" ] || fail "the packages hold no file"
while IFS= read -r f; do
	[ -e "$f" ] || [ -L "$f" ] && echo "$f"
done <"$tmp/owned" >"$tmp/had"
(cd "$tmp/deb" && apt-get install "${apt_opts[@]}" ./pkid_*.deb ./pkiks-dkms_*.deb) \
	>"$tmp/install.log" 2>&1 || {
	tail -40 "$tmp/install.log" >&2
	exit 1
}
echo "check-packaging: built and installed in $(($(date +%s) - start)) s"

# lintian, when installed (packaging/deps-test.txt lists it): no error, no warning
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning --tag-display-limit 0 "$tmp"/deb/*.deb \
		>"$tmp/lintian.log" 2>&1 || fail "lintian: $(grep -v 'root privileges' "$tmp/lintian.log")"
else
	echo "check-packaging: no lintian, packages not linted"
fi

# 2. DKMS built the module against the installed Debian headers
st=$(dkms status -m pkiks -v "$dkms_ver" -k "$kver")
grep -q ": installed" <<<"$st" || fail "dkms status for $kver: '$st'"
ko=$(modinfo -k "$kver" -F filename pkiks 2>/dev/null)
[[ $ko == /lib/modules/$kver/updates/dkms/pkiks.ko* ]] || fail "modinfo -k $kver pkiks: '$ko'"
[ "$(modinfo -k "$kver" -F vermagic pkiks 2>/dev/null | cut -d' ' -f1)" = "$kver" ] ||
	fail "pkiks.ko vermagic is not $kver"

# Signed by DKMS's key where DKMS signs (Debian's kbuild ships sign-file):
# on a fresh machine DKMS creates that key pair for this very build.
if [ -e "$mok_cert" ]; then
	[ "$mok_had" = yes ] || mok_made=yes
	serial=$(openssl x509 -inform DER -in "$mok_cert" -noout -serial 2>/dev/null |
		sed 's/^serial=0*//')
	sig=$(modinfo -F sig_key "$ko" 2>/dev/null | tr -d ':' | tr a-f A-F | sed 's/^0*//')
	[ -n "$serial" ] && [ "$sig" = "$serial" ] ||
		fail "pkiks.ko is not signed with DKMS's key $mok_cert (sig_key '$sig', key serial '$serial')"
	[ "$mok_made" = yes ] &&
		echo "check-packaging: DKMS created its signing key pair ($mok_key, $mok_cert) for this first build; it stays DKMS's"
elif [ "$mok_had" = yes ]; then
	fail "DKMS's signing key pair went away during the install"
fi

# pkiks-module.service's ExecCondition: true where the module is installed
# for the kernel, false where it is not (then pkiksd.service serves)
modprobe --dry-run --quiet -S "$kver" pkiks || fail "modprobe -n -S $kver pkiks fails"
if [ ! -d "/lib/modules/$(uname -r)/updates/dkms" ]; then
	modprobe --dry-run --quiet pkiks 2>/dev/null &&
		fail "modprobe -n pkiks succeeds on $(uname -r), which has no pkiks.ko"
fi

# 3. the system user, and the module's option naming its group
gid=$(getent group pkid | cut -d: -f3)
[ -n "$gid" ] && getent passwd pkid >/dev/null || fail "no pkid user/group"
grep -qx "options pkiks user_gid=$gid" /etc/modprobe.d/pkiks.conf ||
	fail "/etc/modprobe.d/pkiks.conf does not set user_gid=$gid"
[ "$(stat -c %a /etc/pkiks)" = 700 ] || fail "/etc/pkiks is not 0700"

# 4. the shipped configuration
/usr/sbin/pkid -t -c /etc/pkid/pkid.conf >"$tmp/t.log" 2>&1 || fail "pkid -t: $(cat "$tmp/t.log")"
/usr/sbin/pkictl check -c /etc/pkid/pkid.conf >"$tmp/c.log" 2>&1 || fail "pkictl check: $(cat "$tmp/c.log")"

# 5. the installed pkiksd, with a KEK made by the installed pkiks-kek
mkdir -p "$tmp/ks"
/usr/sbin/pkiks-kek --create --no-set "$tmp/kek" 2>"$tmp/kek.log" ||
	fail "pkiks-kek --create: $(cat "$tmp/kek.log")"
sock=$tmp/ks/pkiksd.sock
# as pkiksd.service runs it: root with CAP_IPC_LOCK only, no new privileges
setpriv --bounding-set=-all,+ipc_lock --no-new-privs \
	/usr/sbin/pkiksd --foreground --socket "$sock" --state-dir "$tmp/ks/state" \
	--group pkid --kek-file "$tmp/kek" 2>"$tmp/pkiksd.log" &
ksd_pid=$!
wait_for 5 grep -q '^pkiksd: serving' "$tmp/pkiksd.log" || fail "pkiksd did not start: $(cat "$tmp/pkiksd.log")"
grep -q 'key-encryption key provisioned' "$tmp/pkiksd.log" || fail "pkiksd did not take the KEK"
PKIKS_SOCKET=$sock /usr/sbin/pkictl --json show clock >"$tmp/clock.json" 2>&1 &&
	jq -e 'has("authoritative")' "$tmp/clock.json" >/dev/null || fail "pkictl show clock: $(cat "$tmp/clock.json")"

# 6. the installed pkid, as user pkid, with the shipped configuration and,
# as pkid.service grants them, CAP_NET_BIND_SERVICE only and no new privileges
install -d -o pkid -g pkid -m 0700 "$tmp/state"
unshare --mount --net sh -c "mount -t tmpfs -o mode=0755 tmpfs /run &&
	install -d -o pkid -g pkid -m 0750 /run/pkid && ip link set lo up &&
	exec setpriv --reuid=pkid --regid=pkid --init-groups --no-new-privs \
		--bounding-set=-all,+net_bind_service \
		--inh-caps=-all,+net_bind_service --ambient-caps=+net_bind_service \
		/usr/sbin/pkid -f -c /etc/pkid/pkid.conf -s '$tmp/state' -S '$sock'" \
	2>"$tmp/pkid.log" &
pkid_pid=$!
in_ns() { nsenter -t "$pkid_pid" -m -n "$@"; }
listening() { in_ns ss -ltnH 'sport = :80' | grep -q LISTEN; }
wait_for 10 listening || fail "pkid does not listen on port 80: $(cat "$tmp/pkid.log")"
in_ns test -S /run/pkid/pkid.ctl || fail "no control socket /run/pkid/pkid.ctl"
# CapEff 0x400 = CAP_NET_BIND_SERVICE alone
grep -q '^CapEff:[[:space:]]*0*400$' "/proc/$pkid_pid/status" ||
	fail "pkid runs with capabilities $(grep CapEff "/proc/$pkid_pid/status")"
[ "$(in_ns stat -c %U /run/pkid/pkid.ctl)" = pkid ] || fail "pkid does not run as user pkid"
in_ns curl -sf --max-time 5 'http://127.0.0.1/cgi-bin/pkiclient.exe?operation=GetCACaps' \
	>"$tmp/ca.caps" || fail "GetCACaps from the installed pkid failed"
grep -qx 'GetNextCACert' <(tr -d '\r' <"$tmp/ca.caps") || fail "GetCACaps lacks GetNextCACert: $(cat "$tmp/ca.caps")"
printf 'crypto pki trustpoint UP\n enrollment url http://127.0.0.1\n auto-enroll 95\n' >"$tmp/client.conf"
/usr/sbin/pkictl check -c "$tmp/client.conf" --caps "$tmp/ca.caps" >"$tmp/cc.log" 2>&1 ||
	fail "pkictl check with the CA's caps: $(cat "$tmp/cc.log")"
kill -0 "$pkid_pid" 2>/dev/null || fail "pkid exited: $(cat "$tmp/pkid.log")"
stop "$pkid_pid"
pkid_pid=

# 7. units, man pages, completion
units=(/lib/systemd/system/pkid.service /lib/systemd/system/pkiksd.service
	/lib/systemd/system/pkiks-module.service
	/lib/systemd/system/pkiks-ntpwatch.service)
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "${units[@]}" >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ] ||
		fail "systemd-analyze verify: $(cat "$tmp/verify.log")"
else
	echo "check-packaging: no systemd-analyze, units not verified"
fi
for p in pkid.8 pkictl.8 pkid.conf.5 pkiks.4 pkiksd.8 pkiks-kek.8; do
	[ -n "$(man -w "${p%.*}" 2>/dev/null | grep "man${p##*.}/$p.gz")" ] || fail "man page $p not installed"
done
bash -c '. /usr/share/bash-completion/completions/pkictl && complete -p pkictl' >/dev/null 2>&1 ||
	fail "bash completion for pkictl not installed"

# 8. purge: nothing left behind
stop "$ksd_pid"
ksd_pid=
purge || fail "apt-get purge: $(tail -20 "$tmp/purge.log")"
[ -z "$(dkms status -m pkiks)" ] || fail "DKMS still lists pkiks: $(dkms status -m pkiks)"
ls /lib/modules/"$kver"/updates/dkms/pkiks.ko* >/dev/null 2>&1 && fail "pkiks.ko left in /lib/modules/$kver"
for f in /usr/src/pkiks-"$dkms_ver" /etc/pkid /etc/pkiks /var/lib/pkid \
	/etc/modprobe.d/pkiks.conf /etc/systemd/system/multi-user.target.wants/pkid.service; do
	[ -e "$f" ] && fail "$f left after purge"
done
getent passwd pkid >/dev/null && fail "user pkid left after purge"
# What the packages held is gone, but for what the machine had before.
while IFS= read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	grep -qxF "$f" "$tmp/had" || echo "$f"
done <"$tmp/owned" >"$tmp/owned-left"
[ -s "$tmp/owned-left" ] && fail "owned by the packages and left after purge: $(cat "$tmp/owned-left")"
footprint_ours >"$tmp/after"
diff "$tmp/before" "$tmp/after" >"$tmp/footprint.diff" ||
	fail "the purge left the machine changed: $(cat "$tmp/footprint.diff")"

if [ "$fails" -ne 0 ]; then
	echo "check-packaging: $fails failures" >&2
	exit 1
fi
echo "check-packaging: pkid and pkiks-dkms installed, pkiks.ko built by DKMS for $kver," \
	"installed pkiksd and pkid ran, purged clean, in $(($(date +%s) - start)) s"
