#!/bin/sh
# The pkiks tests, run inside the VM by /init (tests/vm/init.sh).
#   tests.sh check      functional tests, 100k fuzz messages, unload/reload
#   tests.sh fuzz-long  1,000,000 fuzz messages
#   tests.sh bench      signatures/s through the module vs OpenSSL
#   tests.sh matrix     check, then bench (make check-kernels)
# Ends with one line: "PKIKS-VM-RESULT: PASS n/m" or "... FAIL n/m".
MODE=${1:-check}
T=/bin/pkiks-vmtest
K=/keys
S=/sys/kernel/pkiks
W=/tmp/w
mkdir -p $W && chmod 1777 $W
umask 000 # unprivileged runs write into $W too
pass=0
fail=0
USER_GID=1000

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESC CMD...: CMD must succeed.
check() {
	desc=$1
	shift
	if "$@" >$W/out 2>&1; then ok "$desc"; else
		bad "$desc"
		sed 's/^/    /' $W/out
	fi
}

# errno WANT DESC CMD...: CMD must fail with that errno (pkiks-vmtest's exit).
errno() {
	want=$1 desc=$2
	shift 2
	"$@" >$W/out 2>&1
	rc=$?
	if [ $rc -eq "$want" ]; then ok "$desc"; else
		bad "$desc (exit $rc, want $want)"
		sed 's/^/    /' $W/out
	fi
}

# equal DESC GOT WANT
equal() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi
}

finish() {
	total=$((pass + fail))
	if [ $fail -eq 0 ] && [ $pass -gt 0 ]; then
		echo "PKIKS-VM-RESULT: PASS $pass/$total"
	else
		echo "PKIKS-VM-RESULT: FAIL $pass/$total"
	fi
	exit 0
}

load_module() {
	for m in $(cat /modules.order); do
		case $m in
		pkiks.ko) insmod /lib/modules/$m user_gid=$USER_GID || return 1 ;;
		*) insmod /lib/modules/$m 2>/dev/null || grep -q "^${m%.ko} " /proc/modules ;;
		esac
	done
}

# sign_verify NAME HASH PUB: the module signs, openssl verifies.
sign_verify() {
	$T sign "$1" "$2" $W/msg $W/sig &&
		openssl dgst -"$2" -verify "$3" -signature $W/sig $W/msg
}

dmesg_clean() {
	! dmesg | grep -E "Oops|WARNING|BUG|Call Trace|general protection|refcount_t"
}

sysfs() { cat $S/"$1" 2>/dev/null; }

# ---------------------------------------------------------------- tests

test_load() {
	check "modules load (deps, then pkiks.ko user_gid=$USER_GID)" load_module
	check "GET_INFO over generic netlink" $T info
	equal "sysfs clock/authoritative starts at 0" "$(sysfs clock/authoritative)" 0
	equal "sysfs clock/source starts at none" "$(sysfs clock/source)" none
}

# clock_field NAME: one field of `pkiks-vmtest clock` (now, since, ...).
clock_field() { $T clock | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

# near_now NS: NS (ns) is within a minute of this clock's seconds.
near_now() {
	s=$(($1 / 1000000000))
	d=$(($(date +%s) - s))
	[ $d -gt -60 ] && [ $d -lt 60 ]
}

# A bad RTC at boot: the clock ten years ahead before any grant, read, put
# right, calendar-valid: now is the corrected time, not 2036 (issue 19).
test_bad_rtc() {
	ten=315360000
	date -s "@$(($(date +%s) + ten))" >/dev/null
	check "now shows the clock ten years ahead (unvouched)" \
		near_now "$(sysfs clock/now)"
	check "and so does the clock command" near_now "$(clock_field now)"
	date -s "@$(($(date +%s) - ten))" >/dev/null
	check "calendar-valid after the clock is put right" $T clock-set calendar
	check "now is the corrected time (sysfs)" near_now "$(sysfs clock/now)"
	check "now is the corrected time (clock command)" \
		near_now "$(clock_field now)"
	check "since is the corrected time" near_now "$(sysfs clock/since)"
	check "revoke again for the time gate tests" $T clock-set none
	equal "sysfs clock/authoritative back to 0" "$(sysfs clock/authoritative)" 0
}

test_import() {
	check "import RSA-2048 sign key CA" $T import CA sign $K/rsa2048.pem
	check "SPKI DER equals openssl's" sh -c "$T pubkey CA $W/ca.der &&
		openssl pkey -pubin -in $K/rsa2048.pub -outform DER -out $W/ref.der &&
		cmp $W/ca.der $W/ref.der"
	errno 17 "import over an existing name without replace: EEXIST" \
		$T import CA sign $K/rsa2048.pem
	check "import with replace" $T import CA sign $K/rsa2048.pem replace
	errno 22 "a bad key name: EINVAL" $T import 'bad/name' sign $K/rsa2048.pem
	check "import RSA-3072" $T import K3072 sign $K/rsa3072.pem
	check "import RSA-4096" $T import K4096 sign $K/rsa4096.pem
	check "import decrypt-only key DEC" $T import DEC decrypt $K/dec2048.pem
}

test_time_gate() {
	head -c 1000 /dev/urandom >$W/msg
	errno 11 "signing refused while time is not authoritative: EAGAIN" \
		$T sign CA sha256 $W/msg $W/sig
	errno 1 "calendar-valid needs CAP_SYS_TIME: EPERM" \
		$T --as 1001:1001 clock-set calendar
	check "calendar-valid" $T clock-set calendar
	equal "sysfs clock/authoritative is 1" "$(sysfs clock/authoritative)" 1
	equal "sysfs clock/source is calendar" "$(sysfs clock/source)" calendar
	check "sysfs clock/since is set" test "$(sysfs clock/since)" -gt 0
	check "an NTP report (pkiks-ntpwatch's request)" $T clock-set ntp
	equal "sysfs clock/source is ntp" "$(sysfs clock/source)" ntp
	check "calendar-valid once more" $T clock-set calendar
}

test_sign() {
	for h in sha1 sha256 sha384 sha512; do
		check "RSA-2048 $h signature verifies with openssl" \
			sign_verify CA $h $K/rsa2048.pub
	done
	check "RSA-3072 signature verifies" sign_verify K3072 sha256 $K/rsa3072.pub
	check "RSA-4096 signature verifies" sign_verify K4096 sha512 $K/rsa4096.pub
	errno 2 "signing with a missing key: ENOENT" $T sign NOPE sha256 $W/msg $W/sig
}

test_decrypt() {
	head -c 100 /dev/urandom >$W/plain
	openssl pkeyutl -encrypt -pubin -inkey $K/dec2048.pub -in $W/plain \
		-out $W/ct 2>/dev/null
	check "decrypt round trip (openssl encrypts, module decrypts)" sh -c \
		"$T decrypt DEC $W/ct $W/out && cmp $W/out $W/plain"
	head -c 256 /dev/urandom >$W/junk
	errno 74 "garbage ciphertext: EBADMSG" $T decrypt DEC $W/junk $W/out
	errno 129 "a decrypt-only key does not sign: EKEYREJECTED" \
		$T sign DEC sha256 $W/msg $W/sig
	errno 129 "a sign-only key is no decryption oracle: EKEYREJECTED" \
		$T decrypt CA $W/ct $W/out
}

test_users() {
	nobody="--as 1001:1001"
	member="--as 1000:$USER_GID"
	errno 1 "non-member import: EPERM" $T $nobody import U sign $K/user2048.pem
	errno 1 "non-member sign: EPERM" $T $nobody sign CA sha256 $W/msg $W/sig
	errno 1 "non-member list: EPERM" $T $nobody list
	check "non-member may read the clock" $T $nobody clock
	check "member imports its own key" $T $member import USER sign $K/user2048.pem
	check "member signs with its own key (openssl verifies)" sh -c \
		"$T $member sign USER sha256 $W/msg $W/sig &&
		openssl dgst -sha256 -verify $K/user2048.pub -signature $W/sig $W/msg"
	errno 1 "member cannot use root's key: EPERM" $T $member sign CA sha256 $W/msg $W/sig
	errno 1 "member cannot delete root's key: EPERM" $T $member delete CA
	equal "member lists only its own keys" "$($T $member list | cut -d' ' -f1)" USER
	errno 1 "member cannot set the KEK: EPERM" $T $member kek-set $K/kek
	check "admin sees every key" sh -c "$T list | grep -q '^USER ' && $T list | grep -q '^CA '"
}

test_wrap() {
	errno 126 "wrap without a KEK: ENOKEY" $T wrap CA $W/ca.blob
	check "KEK set" $T kek-set $K/kek
	errno 16 "KEK set a second time: EBUSY" $T kek-set $K/kek
	check "wrap CA" $T wrap CA $W/ca.blob
	check "the module's blob opens with OpenSSL's ChaCha20-Poly1305 (format)" \
		$T openblob $K/kek $W/ca.blob $K/rsa2048.pem
	check "delete CA" $T delete CA
	errno 2 "CA is gone: ENOENT" $T sign CA sha256 $W/msg $W/sig
	check "unwrap CA" $T unwrap $W/ca.blob
	check "unwrapped CA signs, openssl verifies" sign_verify CA sha256 $K/rsa2048.pub
	check "unwrap under another name" $T unwrap $W/ca.blob CACOPY
	cp $W/ca.blob $W/bad.blob
	printf '\001' | dd of=$W/bad.blob bs=1 seek=200 conv=notrunc 2>/dev/null
	errno 74 "a tampered blob does not open: EBADMSG" $T unwrap $W/bad.blob CABAD
	check "a blob sealed by OpenSSL's ChaCha20-Poly1305 opens" $T unwrap $K/openssl.blob
	check "... and its key signs (openssl verifies)" sign_verify OSSLKEY sha256 $K/rsa2048.pub
	if [ -f $K/twin.blob ]; then
		check "a blob wrapped by pkiksd (the twin) opens" $T unwrap $K/twin.blob
		check "... and its key signs (openssl verifies)" sign_verify TWINKEY sha256 $K/rsa2048.pub
	else
		echo "# pkiksd not built: no twin blob to open"
	fi
}

test_promote() {
	check "import rollover key CA#" $T import 'CA#' sign $K/rsa3072.pem
	check "promote CA# to CA" $T promote CA
	check "CA is now the 3072-bit key" sh -c "$T list | grep -q '^CA bits=3072'"
	check "CA# is gone" sh -c "! $T list | grep -q '^CA# '"
	check "promoted CA signs with the new key" sign_verify CA sha256 $K/rsa3072.pub
	check "delete CACOPY" $T delete CACOPY
	errno 2 "delete it again: ENOENT" $T delete CACOPY
}

test_timers() {
	check "a 2 s timer fires and its event arrives" \
		$T timer-wait ROOTCA CS_CRL_UPDATE 2
	d=$S/timers/ROOTCA/CS_CRL_UPDATE
	equal "sysfs state of the fired timer" "$(cat $d/state)" expired
	equal "sysfs remaining of the fired timer" "$(cat $d/remaining)" 0
	check "the expired timer stays listed" sh -c "$T timers | grep -q '^ROOTCA CS_CRL_UPDATE .* expired'"
	dl=$($T timer-arm TP1 RENEW +3600)
	equal "sysfs deadline of an armed timer" "$(cat $S/timers/TP1/RENEW/deadline)" "$dl"
	equal "sysfs state of an armed timer" "$(cat $S/timers/TP1/RENEW/state)" armed
	rem=$(cat $S/timers/TP1/RENEW/remaining)
	check "sysfs remaining within the hour" test "$rem" -gt 3500000000000 -a "$rem" -le 3600000000000
	check "timer cancel removes its sysfs directory" sh -c \
		"$T timer-arm TP2 POLL +60 && $T timer-cancel TP2 POLL && ! test -e $S/timers/TP2"
	errno 2 "cancel a missing timer: ENOENT" $T timer-cancel TP2 POLL
	# A GENERIC timer is timers/<owner>/GENERIC:<label>/, with a label file.
	dl=$($T timer-arm TP1 GENERIC:crl-refresh +3600)
	g=$S/timers/TP1/GENERIC:crl-refresh
	equal "sysfs deadline of a GENERIC timer" "$(cat $g/deadline)" "$dl"
	equal "sysfs label of a GENERIC timer" "$(cat $g/label)" crl-refresh
	equal "sysfs state of a GENERIC timer" "$(cat $g/state)" armed
	check "an IOS kind has no label file" test ! -e $S/timers/TP1/RENEW/label
	check "the GENERIC timer is listed with its label" sh -c \
		"$T timers | grep -q '^TP1 GENERIC:crl-refresh $dl armed'"
	check "GENERIC cancel removes its sysfs directory" sh -c \
		"$T timer-cancel TP1 GENERIC:crl-refresh && ! test -e $g"
	errno 1 "non-member cannot arm: EPERM" $T --as 1001:1001 timer-arm X POLL +5
}

test_step() {
	steps=$(sysfs clock/steps)
	before=$($T clock | sed 's/.*now=\([0-9]*\).*/\1/')
	$T events 2 20 >$W/events 2>&1 &
	evpid=$!
	i=0
	while ! grep -q ready $W/events && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	date -s "@$(($(date +%s) + 3600))" >/dev/null
	# The periodic check runs every second: wait (bounded, 10 s) for it
	# to count the step rather than for a fixed time.
	i=0
	while [ "$(sysfs clock/steps)" = "$steps" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	equal "date -s revokes authority (sysfs)" "$(sysfs clock/authoritative)" 0
	equal "sysfs clock/steps counts the step" "$(sysfs clock/steps)" $((steps + 1))
	equal "sysfs clock/source after the step" "$(sysfs clock/source)" none
	errno 11 "no signature after the step: EAGAIN" $T sign USER sha256 $W/msg $W/sig
	equal "the armed timer waits while time is not authoritative" \
		"$(cat $S/timers/TP1/RENEW/state)" waiting
	check "calendar-valid again" $T clock-set calendar
	i=0
	while [ "$(cat $S/timers/TP1/RENEW/state)" != expired ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	equal "the overdue timer fires once time is authoritative" \
		"$(cat $S/timers/TP1/RENEW/state)" expired
	wait $evpid
	check "CLOCK_REVOKED event" grep -q "event CLOCK_REVOKED" $W/events
	check "CLOCK_AUTHORITATIVE or TIMER_EXPIRED follows" grep -qE "event (CLOCK_AUTH|TIMER_EXP)" $W/events
	date -s "@$(($(date +%s) - 7200))" >/dev/null
	$T clock >/dev/null
	after=$($T clock | sed 's/.*now=\([0-9]*\).*/\1/')
	check "now never goes backwards across a backward step" test "$after" -ge "$before"
	check "calendar-valid after the backward step" $T clock-set calendar
	# The grant takes the clock as it is, below the last authoritative now.
	check "calendar-valid takes the clock as it is after a backward step" \
		near_now "$(clock_field now)"
}

test_malformed() {
	if $T malformed >$W/mal 2>&1; then ok "malformed requests each get their error"; else
		bad "malformed requests each get their error"
	fi
	sed 's/^/    /' $W/mal
	errno 22 "an RSA-1024 key is refused: EINVAL" $T import SMALL sign $K/rsa1024.pem
}

test_fuzz() {
	n=$1
	seed=$(date +%s)
	$T fuzz "$n" $seed >$W/fuzz 2>&1 && ok "fuzz: $n random/malformed messages as root (seed $seed)" ||
		bad "fuzz as root (seed $seed)"
	sed 's/^/    /' $W/fuzz
	$T --as 1001:1001 fuzz $((n / 5)) $((seed + 1)) >$W/fuzz 2>&1 &&
		ok "fuzz: $((n / 5)) as a non-member (seed $((seed + 1)))" ||
		bad "fuzz as a non-member (seed $((seed + 1)))"
	sed 's/^/    /' $W/fuzz
	check "the module still answers" $T info
	# The fuzzer may have revoked authority (CLOCK_SET none is a valid request).
	check "calendar-valid after the fuzz" $T clock-set calendar
	check "and still signs correctly" sign_verify USER sha256 $K/user2048.pub
	check "dmesg has no Oops/WARNING/BUG" dmesg_clean
}

# The shared CUnit suite (tests/keystore), on a fresh module: it sets the
# KEK, which a module instance accepts once.
test_suite() {
	check "insmod for the suite" insmod /lib/modules/pkiks.ko user_gid=$USER_GID
	mkdir -p $W/ksout && chmod 1777 $W/ksout
	if PKIKS_TEST_OUT=$W/ksout timeout 300 /bin/test-keystore --transport kernel \
		--keys /kskeys --member-gid $USER_GID >$W/suite 2>&1; then
		ok "CUnit keystore suite (test-keystore --transport kernel)"
	else
		bad "CUnit keystore suite (test-keystore --transport kernel)"
	fi
	grep -E "Run Summary|suites|tests|asserts|FAIL|Test:.*FAILED" $W/suite | sed 's/^/    /'
	grep -B2 -A6 "FAILED\|failed" $W/suite | head -60 | sed 's/^/    /'
	check "the suite's exported signature verifies with openssl" sh -c \
		"openssl pkey -pubin -inform DER -in $W/ksout/pubkey.der -out $W/ksout/pub.pem &&
		openssl dgst -sha256 -verify $W/ksout/pub.pem \
			-signature $W/ksout/signature-sha256.bin $W/ksout/message.txt"
	check "the suite's exported ECDSA signature verifies with openssl" sh -c \
		"openssl pkey -pubin -inform DER -in $W/ksout/ec-pubkey.der -out $W/ksout/ec-pub.pem &&
		openssl dgst -sha384 -verify $W/ksout/ec-pub.pem \
			-signature $W/ksout/ec-signature-sha384.bin $W/ksout/ec-message.txt"
	check "rmmod after the suite" rmmod pkiks
	check "dmesg has no Oops/WARNING/BUG after the suite" dmesg_clean
}

test_unload() {
	check "timers and keys are live before unload" sh -c \
		"test -d $S/timers/TP1 && $T list | grep -q ."
	check "wrap the member's key before unload" $T wrap USER $W/user.blob
	check "rmmod with live keys and timers" rmmod pkiks
	check "sysfs is gone" test ! -e $S
	check "insmod again" insmod /lib/modules/pkiks.ko user_gid=$USER_GID
	check "the new instance answers" $T info
	equal "and starts empty" "$($T list | wc -l)" 0
	check "the same KEK, provisioned again" $T kek-set $K/kek
	check "the member's key comes back from its blob" $T --as 1000:$USER_GID unwrap $W/user.blob
	check "calendar-valid on the new instance" $T clock-set calendar
	check "the restored key signs for its owner (openssl verifies)" sh -c \
		"$T --as 1000:$USER_GID sign USER sha256 $W/msg $W/sig &&
		openssl dgst -sha256 -verify $K/user2048.pub -signature $W/sig $W/msg"
	check "rmmod again" rmmod pkiks
	check "dmesg has no Oops/WARNING/BUG after unload" dmesg_clean
}

# openssl_signs N: RSA-2048 signs/s of N openssl processes run at once.
openssl_signs() {
	i=0
	while [ $i -lt "$1" ]; do
		openssl speed -seconds 3 rsa2048 2>/dev/null | grep '^rsa 2048' >$W/speed.$i &
		i=$((i + 1))
	done
	wait
	cat $W/speed.* | awk '{ s += $6 } END { printf "%.1f", s }'
	rm -f $W/speed.*
}

bench() {
	load_module || { bad "load"; finish; }
	$T import B sign $K/rsa2048.pem >/dev/null && $T clock-set calendar || { bad "setup"; finish; }
	for n in 1 2; do
		r=$($T bench B 5 $n | sed 's/.*rate=\([0-9.]*\).*/\1/')
		o=$(openssl_signs $n)
		if [ -n "$r" ] && [ -n "$o" ]; then
			ok "bench threads=$n"
			echo "BENCH threads=$n module=$r/s openssl=$o/s ratio=$(echo "$r $o" | awk '{ printf "%.2f", $1 / $2 }')"
		else
			bad "bench threads=$n (module '$r', openssl '$o')"
		fi
	done
}

# The functional tests of check mode, in order.
functional() {
	test_load
	test_bad_rtc
	test_import
	test_time_gate
	test_sign
	test_decrypt
	test_users
	test_wrap
	test_promote
	test_timers
	test_step
	test_malformed
	test_fuzz 100000
	test_unload
	test_suite
}

echo "pkiks VM tests, mode $MODE, kernel $(uname -r)"
case $MODE in
check) functional ;;
# make check-kernels: the functional tests, then the bench, in one boot.
matrix)
	functional
	bench
	;;
fuzz-long)
	test_load
	check "calendar-valid" $T clock-set calendar
	check "member imports USER" $T --as 1000:$USER_GID import USER sign $K/user2048.pem
	check "arm a timer" $T timer-arm TP1 RENEW +3600
	check "KEK set (before the fuzzer can)" $T kek-set $K/kek
	head -c 1000 /dev/urandom >$W/msg
	test_fuzz 1000000
	test_unload
	;;
bench) bench ;;
*) bad "unknown mode $MODE" ;;
esac
finish
