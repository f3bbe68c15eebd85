#!/bin/bash
# check-completion: source packaging/bash-completion/pkictl in a fresh bash
# and ask it what a user gets after pressing TAB.  Usage: completion.sh PKICTL
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pkictl=$(realpath "${1:-$top/build/bin/pkictl}")
fails=0 n=0

# complete_line WORDS...: the candidates for the last word (may be "")
complete_line() {
	bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_pkictl
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ \
		"$top/packaging/bash-completion/pkictl" "$@"
}

expect() { # WANT WORDS...
	local want=$1 got
	shift
	n=$((n + 1))
	got=$(complete_line "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL: [$*<TAB>] gave [$got], want [$want]" >&2
		fails=$((fails + 1))
	fi
}

# verbs: those of `pkictl help`, plus help itself
want=$("$pkictl" help | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u | xargs)
case " $want " in *" show "*" check "* | *" check "*" show "*) ;; *)
	echo "FAIL: pkictl help lists no show/check: [$want]" >&2
	exit 1 ;;
esac
expect "$(xargs -n1 <<<"$want help" | sort | xargs)" "$pkictl" ""
# the objects of a verb, from pkictl help (others add families meanwhile)
objects() {
	"$pkictl" help | sed -n "s/^  $1 \([a-z][a-z-]*\).*/\1/p" | sort -u | xargs
}
expect "$(xargs -n1 <<<"$want" | grep '^c' | xargs)" "$pkictl" "c"
case " $(objects show) " in *" clock "*" timers "*) ;; *)
	echo "FAIL: show has no clock/timers objects: [$(objects show)]" >&2
	exit 1 ;;
esac
expect "$(objects show)" "$pkictl" show ""
# global options anywhere do not shift the words
show_t=$(xargs -n1 <<<"$(objects show)" | grep '^t' | xargs)
expect "$show_t" "$pkictl" --json show t
expect "$show_t" "$pkictl" --socket /x show t
expect "$(objects clock)" "$pkictl" clock ""
expect "--ca-lifetime --caps --cert-lifetime" "$pkictl" check --c
expect "none" "$pkictl" check --auto-rollover n
expect "--help --json --socket" "$pkictl" "--"
# file names after -c
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
touch "$d/pkid.conf" "$d/other"
expect "$d/pkid.conf" "$pkictl" check -c "$d/pk"

[ "$fails" -eq 0 ] || exit 1
echo "check-completion: $n completions as expected"
