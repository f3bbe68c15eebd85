#!/bin/bash
# bench-ca-enroll: figures for the certificate server under load.
#   1. N strongSwan clients enroll at once (grant auto): wall time, rate.
#   2. GetCACert latency while the CRL is re-signed over and over (RCU:
#      readers never wait for the CA's lock).
. tests/ca/lib.sh
N=${N:-16}
ca_setup 18110
ca_conf "grant auto"
ca_start
sw_scepca
for ((i = 0; i < N; i++)); do pki --gen --size 2048 >"$T/c$i.key"; done

start=$(date +%s.%N)
pids=()
for ((i = 0; i < N; i++)); do sw_enroll "c$i" & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
end=$(date +%s.%N)
[ $fails = 0 ] || fail "$fails of $N parallel enrollments failed"
for ((i = 0; i < N; i++)); do verify "$T/c$i.pem"; done
python3 -c "d=$end-$start; print(f'enroll: {$N} parallel strongSwan clients in {d:.2f} s = {$N/d:.1f} certificates/s')"

# Quiet baseline, then the same reads while the CRL is re-signed.
lat() { for ((i = 0; i < 200; i++)); do
	curl -s -o /dev/null -w '%{time_total}\n' "$URL?operation=GetCACert"
done >"$1"; }
lat "$T/quiet.txt"
( for ((k = 0; k < N; k++)); do
	s=$(openssl x509 -in "$T/c$k.pem" -noout -serial | cut -d= -f2)
	ctl "server revoke" $CA_NAME $((16#$s)) >/dev/null
	ctl "server unrevoke" $CA_NAME $((16#$s)) >/dev/null
done ) &
crl=$!
lat "$T/busy.txt"
wait $crl
python3 - "$T/quiet.txt" "$T/busy.txt" <<'PY'
import sys
for name, path in (("quiet", sys.argv[1]), ("during CRL re-signing", sys.argv[2])):
    v = sorted(float(x) * 1000 for x in open(path))
    print(f"GetCACert {name}: p50 {v[len(v)//2]:.2f} ms, p99 {v[int(len(v)*0.99)]:.2f} ms, max {v[-1]:.2f} ms ({len(v)} requests)")
PY
n=$(ctl --json "server info crl" $CA_NAME | python3 -c 'import json,sys; print(json.load(sys.stdin)["crl_number"])')
echo "CRLs signed: $n"
