#!/bin/bash
# Run the named check targets on the sanitizer build (make SANITIZE=1,
# build/asan), each through tests/run-checks.sh's rules, with every
# sanitizer report written to a file under build/asan/reports/; fail when
# a target fails or when any report was written (a daemon the test killed
# or whose stderr nobody read still leaves its report there).
#
#   tests/asan/run.sh TARGET...
set -u
cd "$(dirname "$0")/../.." || exit 1
REPORTS=$PWD/build/asan/reports
rm -rf "$REPORTS"
mkdir -p "$REPORTS" && chmod 1777 "$REPORTS" # tests that drop to another uid
# Leaks are checked too (pkid and pkiksd exit cleanly on SIGTERM).
# halt_on_error: the first report ends the process, as a crash would.
# fast_unwind_on_malloc=0: allocation stacks through libcrypto (built
# without frame pointers), or a leak report names only CRYPTO_zalloc.
# GCC's UBSan ignores log_path when linked with ASan: its reports go to
# the process's stderr (the test's log) and, with no recovery, end the
# process, which the test sees die.
export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=66:detect_stack_use_after_return=1:fast_unwind_on_malloc=0:malloc_context_size=40"
export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1:exitcode=67"
export LSAN_OPTIONS="suppressions=$PWD/tests/asan/lsan.supp:print_suppressions=0"
# Every make below builds and runs on build/asan (the top Makefile).
export SANITIZE=1
status=0
tests/run-checks.sh "$@" || status=1
# Report files are named asan.PID / ubsan.PID.
if compgen -G "$REPORTS/*" >/dev/null; then
	for f in "$REPORTS"/*; do
		echo "=== sanitizer report $f"
		head -n 60 "$f"
	done
	echo "check-asan: $(ls "$REPORTS" | wc -l) sanitizer report(s)"
	status=1
fi
[ $status = 0 ] && echo "check-asan: no sanitizer report in $# target(s)"
exit $status
