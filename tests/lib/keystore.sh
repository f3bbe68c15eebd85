# shellcheck shell=bash
# Start and stop a private pkiksd for a test (source this file).
#
#   ks_twin_start DIR [extra pkiksd args...]
#       starts build/bin/pkiksd with its socket and state under DIR, waits
#       until it answers, exports PKIKS_SOCKET (and KS_TWIN_PID, KS_TWIN_DIR,
#       KS_TWIN_LOG).  DIR is made traversable (0711) so that tests which
#       drop to an unprivileged uid can reach the socket (its parents must
#       be traversable too).
#   ks_twin_stop
#       SIGTERM, then SIGKILL after 5 s; returns pkiksd's exit status.
#   ks_twin_tmp [extra pkiksd args...]
#       a fresh temporary directory in KS_TMP and ks_twin_start KS_TMP/ks;
#       at exit (the script's EXIT trap) pkiksd is stopped and KS_TMP
#       removed.  For scripts that need one pkiksd and no other cleanup.
#
# PKIKSD may name another binary; KS_TWIN_ARGS adds arguments to every start.

ks_twin_start() {
	local dir=$1 i
	shift
	local bin=${PKIKSD:-${PKID_BUILD:-build}/bin/pkiksd}
	mkdir -p "$dir" && chmod 0711 "$dir" || return 1
	KS_TWIN_DIR=$dir
	KS_TWIN_LOG=$dir/pkiksd.log
	export PKIKS_SOCKET=$dir/pkiksd.sock
	# shellcheck disable=SC2086
	"$bin" --socket "$PKIKS_SOCKET" --state-dir "$dir/state" --foreground \
		${KS_TWIN_ARGS:-} "$@" 2>>"$KS_TWIN_LOG" &
	KS_TWIN_PID=$!
	export KS_TWIN_PID KS_TWIN_DIR KS_TWIN_LOG
	# Bounded: 100 x 50 ms.
	for ((i = 0; i < 100; i++)); do
		if [ -S "$PKIKS_SOCKET" ] && grep -q '^pkiksd: serving' "$KS_TWIN_LOG"; then
			return 0
		fi
		if ! kill -0 "$KS_TWIN_PID" 2>/dev/null; then
			echo "ks_twin_start: pkiksd exited:" >&2
			cat "$KS_TWIN_LOG" >&2
			wait "$KS_TWIN_PID" 2>/dev/null
			KS_TWIN_PID=
			return 1
		fi
		sleep 0.05
	done
	echo "ks_twin_start: pkiksd did not come up in 5 s" >&2
	ks_twin_stop
	return 1
}

ks_twin_stop() {
	local i rc
	[ -n "${KS_TWIN_PID:-}" ] || return 0
	kill -TERM "$KS_TWIN_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$KS_TWIN_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$KS_TWIN_PID" 2>/dev/null && kill -KILL "$KS_TWIN_PID"
	wait "$KS_TWIN_PID" 2>/dev/null
	rc=$?
	KS_TWIN_PID=
	return $rc
}

ks_twin_tmp() {
	KS_TMP=$(mktemp -d) || return 1
	trap 'ks_twin_stop || true; rm -rf "$KS_TMP"' EXIT
	ks_twin_start "$KS_TMP/ks" "$@"
}
