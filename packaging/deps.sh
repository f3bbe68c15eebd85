#!/bin/bash
# Install the missing Debian packages of the lists named (packaging/deps.txt:
# build and demo; packaging/deps-test.txt: what only the tests add).
#   deps.sh          both lists (make deps, make check, make bench)
#   deps.sh demo     deps.txt only (make demo)
#   deps.sh arm64    deps.txt and deps-arm64.txt (make check-arm64, make deb ARCH=arm64)
# As root: apt-get installs them.  Otherwise: print the exact line to run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-all}" in
demo) lists=("$here/deps.txt") ;;
all) lists=("$here/deps.txt" "$here/deps-test.txt") ;;
arm64) lists=("$here/deps.txt" "$here/deps-arm64.txt") ;;
*) echo "usage: deps.sh [demo|all|arm64]" >&2; exit 2 ;;
esac
mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^\s*#' | sed '/^\s*$/d')

missing=()
for p in "${wanted[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# The demo's packages are build tools: without their documentation, man
# pages and translations (a third of their files, each one a write dpkg
# syncs), copyright files kept.  Per invocation, through dpkg's options:
# the machine's dpkg configuration is not changed.
opts=(--no-install-recommends)
if [ "${1:-all}" = demo ]; then
	for x in '--path-exclude=/usr/share/doc/*' \
		'--path-include=/usr/share/doc/*/copyright' \
		'--path-exclude=/usr/share/man/*' \
		'--path-exclude=/usr/share/locale/*'; do
		opts+=(-o "Dpkg::Options::=$x")
	done
fi
line="apt-get install -y$(printf ' %q' "${opts[@]}") ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages; as root run:" >&2
	echo "  apt-get update && $line" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A dpkg run cut off half way (a machine shut down during an install, an
# earlier test run killed inside dpkg -i) leaves packages half configured,
# and apt-get then refuses everything until it is finished: finish it first.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
	echo "deps: finishing an interrupted dpkg run (dpkg --configure -a)"
	dpkg --configure -a >/tmp/pkid-deps.log 2>&1 || {
		echo "deps: dpkg --configure -a failed; see /tmp/pkid-deps.log" >&2
		tail -20 /tmp/pkid-deps.log >&2
		exit 1
	}
fi
apt-get update -q >/dev/null
apt-get install -y -q -o DPkg::Lock::Timeout=300 "${opts[@]}" "${missing[@]}" >/tmp/pkid-deps.log 2>&1 || {
	echo "deps: apt-get failed; see /tmp/pkid-deps.log" >&2
	tail -20 /tmp/pkid-deps.log >&2
	exit 1
}
