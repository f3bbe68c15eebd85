#!/usr/bin/env python3
"""tools/sim/sim.py: the real daemons through simulated years (issue 13).

One CA pkid (auto-rollover) and PIDS client pkids of TPS trustpoints each,
all on one `pkiksd --lab`.  sim-clock (tools/sim/sim_clock.c) moves the
lab clock to the next due timer (plus a window that fires the timers due
close together at once) and settles on the daemons' own quiet signal
(`show activity` and the keystore's timer list), not on sleeps.  After
every step every exported identity is checked against the CA that signed
it (by signature, as `openssl verify -attime` would), faults are injected
at their lab instants, and analyze.py judges the whole history at the
end: gaps, CA requests per identity, rollovers and how long each took to
reach every trustpoint, a timeline picture.

    sim.py [--pids N] [--tps N] [--years Y] [--port P] [--negative] OUTDIR

--tiers 3 puts a root CA pkid above it: the CA the clients enroll at is
then a subordinate (`mode sub-cs`, its trustpoint enrolled at the root,
auto-rollover on both), and every check is of the chain root <- sub <-
identity (ports PORT: the sub, PORT+1: the root).

--negative runs the negative control instead: configurations that
`pkictl check` rejects next to ones it accepts, on a CA of its own; the
trustpoints the checker names must be exactly the ones with gaps.
Every wait is bounded; ports PORT..PORT+1.
"""
import argparse
import errno
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
import urllib.request

from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze  # noqa: E402

# PKID_SIM_BUILD: another build's programs (a copy, so that a rebuild
# during a run does not mix two daemons' versions).
BUILD = os.environ.get("PKID_SIM_BUILD", "build")
B = f"{BUILD}/bin"
DAY = 86400
PROVIDER = os.path.abspath(f"{BUILD}/pkiks-provider.so")


class SimError(Exception):
    pass


def ctl(path, cmd, *args, timeout=30):
    """One control request (daemon/CONTROL.md framing); the reply dict."""
    body = json.dumps({"cmd": cmd, "args": list(args)}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(struct.pack(">I", len(body)) + body)
        head = b""
        while len(head) < 4:
            chunk = s.recv(4 - len(head))
            if not chunk:
                raise SimError(f"{path}: {cmd}: connection closed")
            head += chunk
        n = struct.unpack(">I", head)[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise SimError(f"{path}: {cmd}: connection closed")
            data += chunk
    return json.loads(data)


class Sim:
    def __init__(self, a):
        self.a = a
        self.out = a.outdir
        # On tmpfs when there is one: the daemons fsync every timer and
        # database change, which the simulation does not need to wait for.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.T = tempfile.mkdtemp(prefix="pkid-sim.", dir=shm)
        print(f"sim: daemons' files in {self.T}", flush=True)
        self.procs = {}
        self.url = f"http://127.0.0.1:{a.port}/cgi-bin/pkiclient.exe"
        self.env = dict(os.environ, PKIKS_QUIET="1")
        self.rng = random.Random(a.seed)
        self.events = []        # (lab time, what) for the summary
        self.requests = {}      # outcome -> CA requests, over CA restarts
        self.exports = {}       # tp -> (mtime, size) of its export
        self.seen = set()
        self.tps = {}           # tp -> {"pid": k, "start": lab, ...}
        self.checks = self.bad_checks = 0
        self.bad_now = {}       # tp -> first lab instant seen invalid
        self.steps = 0
        self.bound_stops = 0    # steps cut at a CA or identity end
        self.operator = {}      # tp -> why an operator was needed
        self.grant_manual = False
        self.next_ca = {}
        self.ca_ends = set()    # notAfter of every CA certificate served
        self.off_spans = {}     # client pkid -> [[from, to]] powered off
        self.t_settle = self.t_collect = self.t_batch = 0.0
        self.t_keypool = 0.0
        self.pool = a.keypool_dir or f"{self.T}/keypool"
        self.reloads = self.restarts = 0
        self.recollects = 0     # collects redone: a bound passed meanwhile
        self.stop_now = False
        self.server = "SIMSUB" if a.tiers == 3 else "SIMCA"
        self.root_requests = {}  # --tiers 3: the root's, as requests
        self.roots = {}         # --tiers 3: tbs -> root CA certificate served
        self.slowest = 0.0      # the longest settle so far, seconds
        self.t_start = time.time()
        os.makedirs(f"{self.out}/history", exist_ok=True)
        os.makedirs(f"{self.out}/ca", exist_ok=True)

    # ---- processes -------------------------------------------------------
    def ks_sock(self, name):
        return f"{self.T}/ks-{name}/pkiksd.sock"

    def spawn(self, name, argv, ks=None):
        log = open(f"{self.T}/{name}.log", "ab")
        env = dict(self.env, PKIKS_SOCKET=self.ks_sock(ks)) if ks else self.env
        if self.a.keypool:
            env = dict(env, PKID_SIM_KEYPOOL=self.pool)
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=log,
                                            env=env)

    def stop(self, name):
        p = self.procs.pop(name, None)
        if not p:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def start_keystore(self, name):
        """Each pkid (router) has its own pkiksd --lab; sim-clock moves
        them together."""
        os.makedirs(f"{self.T}/ks-{name}", mode=0o711, exist_ok=True)
        log = f"{self.T}/ks-{name}.log"
        mark = os.path.getsize(log) if os.path.exists(log) else 0
        # A key-encryption key: the keys pkid makes survive a keystore
        # restart (pkid restores them from its wrapped blobs).
        kek = self.kek_path(name)
        if not os.path.exists(kek):
            with open(os.open(kek, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
                f.write(os.urandom(32))
        # --no-status: no status tree (a view for people that nothing
        # here reads); each lab step rewrote every timer's remaining
        # time in it, 41 % of a client keystore's CPU (perf).
        self.spawn(f"ks-{name}", [f"{B}/pkiksd", "--socket",
                                  self.ks_sock(name), "--state-dir",
                                  f"{self.T}/ks-{name}/state",
                                  "--kek-file", kek,
                                  "--no-status", "--foreground", "--lab"])
        for _ in range(200):
            with open(log, "rb") as f:
                f.seek(mark)
                if b"pkiksd: serving" in f.read():
                    return
            time.sleep(0.025)
        raise SimError(f"pkiksd of {name} did not come up in 5 s")

    def kek_path(self, name):
        """Each keystore its own key-encryption key (--ha: the CA nodes
        share one, as an operator provisions it)."""
        return f"{self.T}/ks-{name}/kek"

    def clock(self, line):
        self.clk.stdin.write(line + "\n")
        self.clk.stdin.flush()
        r = self.clk.stdout.readline().split()
        if not r or r[0] != "ok":
            raise SimError(f"sim-clock {line}: {' '.join(r)}")
        return [int(x) for x in r[1:]]

    def start_pkid(self, name):
        if f"ks-{name}" not in self.procs:
            self.start_keystore(name)
            self.clock(f"keystore {self.ks_sock(name)}")
            self.clock(f"advance 1")  # the same lab time as the others
        argv = [f"{B}/pkid", "-f", "-c", f"{self.T}/{name}.conf",
                "-s", f"{self.T}/{name}-state", "-P", PROVIDER,
                "-S", self.ks_sock(name)]
        if self.a.keypool and name not in ("ca", "root"):
            # pkiks-keygen's code with keys made ahead (sim_keypool.c)
            argv += ["-k", f"{B}/sim-keygen"]
        self.spawn(name, argv, ks=name)
        self.clock(f"watch {self.T}/{name}.ctl")

    def stop_pkid(self, name):
        self.scrape_node(name)
        self.clock(f"unwatch {self.T}/{name}.ctl")
        self.stop(name)

    def scrape_node(self, name):
        """The request counters of a CA pkid about to stop."""
        if name == "ca":
            self.scrape()
        if name == "root":
            self.scrape(self.a.port + 1, self.root_requests)

    # ---- configuration ---------------------------------------------------
    def ca_conf(self):
        a = self.a
        if a.tiers == 3:
            return self.sub_conf()
        self.write_ca_conf("ca", a.port, f" database url {self.T}/cadb\n")

    def write_ca_conf(self, name, port, database):
        """The simulated CA's configuration, NAME.conf: `database` holds
        its database lines (a folder, or a folder and PostgreSQL)."""
        a = self.a
        grant = "" if self.grant_manual else " grant auto\n"
        with open(f"{self.T}/{name}.conf", "w") as f:
            f.write(f"ip http server {port}\ncontrol-socket {self.T}/{name}.ctl\n"
                    "crypto pki server SIMCA\n"
                    " issuer-name CN=sim CA,O=pkid sim\n" + grant +
                    f" lifetime ca-certificate {a.ca_days}\n"
                    f" lifetime certificate {a.cert_days}\n"
                    f" auto-rollover {a.overlap}\n"
                    " lifetime crl 336\n" + database + " no shutdown\n")

    # ---- three tiers (--tiers 3) ------------------------------------------
    # The root: `grant auto rollover ca-cert` grants the sub's rollover
    # requests (signed by a CA certificate it issued); the sub's first CA
    # request is granted by hand (the operator's step, start_cas).  Its
    # `lifetime certificate` is the sub's CA lifetime (--ca-days).
    def root_conf(self):
        a = self.a
        with open(f"{self.T}/root.conf", "w") as f:
            f.write(f"ip http server {a.port + 1}\n"
                    f"control-socket {self.T}/root.ctl\n"
                    "crypto pki server SIMROOT\n"
                    " issuer-name CN=sim root CA,O=pkid sim\n"
                    " grant auto rollover ca-cert\n"
                    f" lifetime ca-certificate {a.root_days}\n"
                    f" lifetime certificate {a.ca_days}\n"
                    f" auto-rollover {a.root_overlap}\n"
                    " lifetime crl 336\n"
                    f" database url {self.T}/rootdb\n no shutdown\n")

    def sub_conf(self):
        """The sub (docs/HIERARCHY.md, `mode sub-cs`): trustpoint SIMSUB
        enrolls at the root; the server issues the clients' identities
        and rolls its own key over `auto-rollover` before its end."""
        a = self.a
        with open(f"{self.T}/ca.conf", "w") as f:
            f.write(f"ip http server {a.port}\ncontrol-socket {self.T}/ca.ctl\n"
                    "crypto pki trustpoint SIMSUB\n"
                    f" enrollment url http://127.0.0.1:{a.port + 1}"
                    "/cgi-bin/pkiclient.exe\n"
                    " enrollment retry period 1\n"
                    f" fingerprint {self.root_fp}\n"
                    "crypto pki server SIMSUB\n"
                    " issuer-name CN=sim sub CA,O=pkid sim\n"
                    " mode sub-cs\n grant auto\n"
                    f" lifetime certificate {a.cert_days}\n"
                    f" auto-rollover {a.overlap}\n"
                    " lifetime crl 336\n"
                    f" database url {self.T}/cadb\n no shutdown\n")

    def serving(self):
        try:
            with urllib.request.urlopen(f"{self.url}?operation=GetCACert",
                                        timeout=10):
                return True
        except OSError:
            return False

    def start_cas(self):
        """The CA the clients enroll at, serving: with --tiers 3 the root,
        then the sub, its CA request granted at the root and fetched by
        its trustpoint's POLL (bounded: 60 steps of the lab clock)."""
        if self.a.tiers != 3:
            self.ca_conf()
            self.start_pkid("ca")
            return self.settle()
        self.root_conf()
        self.start_pkid("root")
        self.settle()
        self.root_fp = ctl(f"{self.T}/root.ctl", "show server",
                           "SIMROOT")["result"]["fingerprint"]
        self.ca_conf()
        self.start_pkid("ca")
        now, nxt = self.settle()
        for _ in range(60):
            ctl(f"{self.T}/root.ctl", "server grant", "SIMROOT", "all")
            if self.serving():
                return now, nxt
            self.clock("advance 60")
            now, nxt = self.settle()
        raise SimError("the sub does not serve after 60 lab minutes")

    def tp_url(self, tp):
        return self.url

    def tp_block(self, name, tp):
        lines = [f"crypto pki trustpoint {name}",
                 f" enrollment url {self.tp_url(tp)}",
                 f" subject-name CN={name},O=pkid sim",
                 f" rsakeypair K{name}", f" fingerprint {self.fp}",
                 f" auto-enroll {tp['pct']}" +
                 (" regenerate" if tp["regenerate"] else ""),
                 f" certificate export {self.T}/exp/{name}.pem"]
        if tp.get("password"):
            lines.append(f" password {tp['password']}")
        if tp.get("retry"):
            lines.append(f" enrollment retry period {tp['retry']}")
        lines += [f" {x}" for x in tp.get("extra", [])]
        return "\n".join(lines) + "\n"

    def client_conf(self, k):
        path = f"{self.T}/cl{k}.conf"
        with open(path, "w") as f:
            f.write(f"control-socket {self.T}/cl{k}.ctl\n")
            for name, tp in self.tps.items():
                if tp["pid"] == k and tp["start"] is not None:
                    f.write(self.tp_block(name, tp))
        return path

    def check(self, path):
        """Trustpoints `pkictl check` finds an error for."""
        a = self.a
        r = subprocess.run([f"{B}/pkictl", "--json", "check", "-c", path,
                            "--ca-lifetime", str(a.ca_days),
                            "--cert-lifetime", str(a.cert_days),
                            "--auto-rollover", str(a.overlap)],
                           capture_output=True, text=True, env=self.env)
        found = json.loads(r.stdout)["findings"]
        return {f["object"].split()[-1] for f in found
                if f["severity"] == "error"
                and f["object"].startswith("trustpoint ")}

    # ---- observation -----------------------------------------------------
    def scrape(self, port=None, into=None):
        """The CA's request counters (they restart with the CA); with
        --tiers 3 the root's too (port PORT+1, into root_requests)."""
        into = self.requests if into is None else into
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port or self.a.port}/metrics",
                    timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return
        for m in re.finditer(
                r'^pkid_enrollments_total\{[^}]*outcome="([a-z_]+)"\} (\d+)',
                text, re.M):
            into[m.group(1)] = into.get(m.group(1), 0) + int(m.group(2))

    def read_exports(self):
        """The exports that changed since the last collect: name -> (key,
        bytes)."""
        reads = {}
        for name, tp in self.tps.items():
            if tp["start"] is None:
                continue
            path = f"{self.T}/exp/{name}.pem"
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            key = (st.st_mtime_ns, st.st_size)
            if self.exports.get(name) != key:
                with open(path, "rb") as f:
                    reads[name] = (key, f.read())
        return reads

    def collect(self, now):
        """New exported identities and CA certificates; every started
        trustpoint checked at this instant (signature and both validity
        periods, the way `openssl verify -attime` does).  False, and
        nothing recorded, when the lab clocks (which run at real speed)
        passed a bound while the exports were read: what was read may
        then be of after the bound (a switch at a CA's end, seen at the
        second before it); the caller settles and collects again."""
        reads = self.read_exports()
        after = self.clock("now")[0]
        if any(now < b <= after for b in self.bounds()):
            self.recollects += 1
            return False
        # The first check after a router came back: until then it may
        # still be recovering (see analyze.py, power-on recovery).
        for spans in self.off_spans.values():
            if spans[-1][1] is not None and len(spans[-1]) == 2:
                spans[-1].append(now)
        if self.a.tiers == 3:
            # The roots the chains are checked against: the ones served
            # up to now (a new root is served by GetNextCACert well before
            # its start).
            self.record_cas(now)
        for name, tp in self.tps.items():
            if tp["start"] is None:
                continue
            if name in reads:
                key, data = reads[name]
                self.exports[name] = key
                h = analyze.short_hash(data)
                if h not in self.seen:
                    self.seen.add(h)
                    with open(f"{self.out}/history/{name}.{h}.pem", "wb") as f:
                        f.write(data)
                    with open(f"{self.out}/seen", "a") as f:
                        f.write(f"{now} {name}.{h}.pem\n")
                tp["id"] = analyze.load_pems_bytes(data)
            if tp["first"] is None and tp.get("id"):
                tp["first"] = now
            if tp["first"] is None or self.offline.get(f"cl{tp['pid']}"):
                continue  # a router that is off is not checked
            self.checks += 1
            if self.a.tiers == 3:
                ok = analyze.chain3_valid_at(tp["id"],
                                             self.roots.values(), now)
            else:
                ok = analyze.chain_valid_at(tp["id"], now)
            if not ok:
                self.bad_checks += 1
                self.bad_now.setdefault(name, now)
        if self.a.tiers != 3:
            self.record_cas(now)
        return True

    def record_cas(self, now):
        """Every CA certificate served (with --tiers 3 the sub's and the
        root's) into OUTDIR/ca, when first seen into caseen."""
        ca = self.get_ca()
        if not ca:
            return
        for c in analyze.load_pems_bytes(ca):
            self.ca_ends.add(analyze.times(c)[1])
            if self.a.tiers == 3 and analyze.is_ca(c) and \
                    c.issuer == c.subject:
                self.roots.setdefault(c.tbs_certificate_bytes, c)
            h = analyze.short_hash(c.tbs_certificate_bytes)
            if h not in self.seen:
                self.seen.add(h)
                with open(f"{self.out}/ca/ca.{h}.pem", "wb") as f:
                    f.write(analyze.pem(c))
                with open(f"{self.out}/caseen", "a") as f:
                    f.write(f"{now} ca.{h}.pem\n")

    def get_ca(self):
        """The CA certificates served, PEM: GetCACert's, and the rollover
        CA inside GetNextCACert's signed reply (its content, a certs-only
        PKCS#7, taken out of the SignedData by analyze.signed_content:
        an `openssl cms` per step was a process per step)."""
        return self.ca_pems(self.ca_urls())

    def ca_urls(self):
        return [self.url]

    def ca_pems(self, urls):
        """GetCACert and GetNextCACert of URLS, PEM."""
        out = []
        if self.a.tiers == 3:  # the root's own, its rollover CA ahead
            urls.append(f"http://127.0.0.1:{self.a.port + 1}"
                        "/cgi-bin/pkiclient.exe")
        for url, op in [(u, o) for u in urls
                        for o in ("GetCACert", "GetNextCACert")]:
            try:
                with urllib.request.urlopen(f"{url}?operation={op}",
                                            timeout=10) as r:
                    der = r.read()
            except OSError:
                continue
            if op == "GetCACert":
                out.extend(analyze.load_ders(der))
                continue
            # The reply is signed anew each time (its signingTime): the
            # content, not the reply, is what is remembered.
            inner = analyze.signed_content(der)
            if inner is None:  # not the definite-length DER walked here
                inner = subprocess.run(
                    ["openssl", "cms", "-verify", "-noverify", "-inform",
                     "der", "-binary"], input=der, capture_output=True).stdout
            if inner not in self.next_ca:
                self.next_ca[inner] = analyze.load_ders(inner)
            out.extend(self.next_ca[inner])
        return b"".join(analyze.pem(c) for c in out)

    # ---- the run ---------------------------------------------------------
    def settle(self):
        r = self.clk_settle()
        self.steps += 1
        if self.steps % 200 == 0:
            print(f"sim: step {self.steps}: day "
                  f"{(r[0] - getattr(self, 't0', r[0])) / DAY:7.1f}, "
                  f"{time.time() - self.t_start:.0f} s (settling "
                  f"{self.t_settle:.0f} s, new trustpoints {self.t_batch:.0f} s,"
                  f" collecting {self.t_collect:.0f} s), RSA keys made "
                  f"{self.keygens()}", flush=True)
        return r

    def clk_settle(self):
        t = time.time()
        # Stuck: no progress for --settle-ms, or for 20 times the
        # slowest settle measured so far if that is longer (a loaded
        # machine); sim-clock caps a settle that keeps progressing.
        limit = max(self.a.settle_ms, int(20 * 1000 * self.slowest))
        self.clk.stdin.write(f"settle {limit}\n")
        self.clk.stdin.flush()
        r = self.clk.stdout.readline().split()
        self.t_settle += time.time() - t
        self.slowest = max(self.slowest, time.time() - t)
        if os.environ.get("SIM_DEBUG"):
            print(f"settle {time.time() - t:.3f} s {' '.join(r)}", flush=True)
        if not r or r[0] != "ok":
            raise SimError("not quiet after %d ms without progress: %s" %
                           (limit, " ".join(r[1:])))
        return int(r[1]), int(r[2])

    def advance_to(self, target, now):
        if target > now:
            self.clock(f"advance {target - now}")
        return self.settle()

    def keygens(self, what=b": generated key "):
        """RSA keys the client pkids made (pkiks-keygen, or sim-keygen
        from the pool made ahead): the run's main cost."""
        n = 0
        for f in os.listdir(self.T):
            if f.startswith("cl") and f.endswith(".log"):
                with open(f"{self.T}/{f}", "rb") as fh:
                    n += fh.read().count(what)
        return n

    def pool_misses(self):
        """Keys sim-keygen had to make inside the loop (pool empty)."""
        return self.keygens(b"sim-keygen: key pool")

    def fill_keypool(self):
        """RSA-2048 keys for the run, made before the lab clock moves,
        on every core at once (pkid makes its keys one at a time).  As
        many as the first enrollments and the renewals and SHADOWs of the
        trustpoints with `regenerate` need (an empty pool falls back to
        generating inside the loop, counted)."""
        a = self.a
        regen = sum(1 for tp in self.tps.values() if tp["regenerate"])
        # Measured: 13.7 keys per `regenerate` trustpoint in 10 years of
        # 365-day certificates (the 400-trustpoint run: 949 keys, 40 of
        # them regenerate; renewals at 80-99 % and the SHADOWs): one per
        # 80 % of a lifetime, and two more.
        per = int(a.years * 365 / (a.cert_days * 0.8)) + 2
        n = len(self.tps) + regen * per if a.keypool < 0 else a.keypool
        # With --keycache the keys are made into the cache (once per
        # build tree: a fresh clone makes them) and copied into the
        # run's pool, which the client pkids use up.
        made = a.keycache or self.pool
        os.makedirs(made, exist_ok=True)
        os.makedirs(self.pool, exist_ok=True)
        have = sorted(f for f in os.listdir(made) if f.endswith(".pem"))
        todo = [i for i in range(len(have), n)]
        t = time.time()

        def one(i):
            tmp = f"{made}/k{i}.tmp"
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                            "-pkeyopt", "rsa_keygen_bits:2048", "-out", tmp],
                           check=True, capture_output=True)
            os.rename(tmp, f"{made}/k{i}.pem")
        with ThreadPoolExecutor(os.cpu_count() or 2) as ex:
            list(ex.map(one, [f"{os.getpid()}-{i}" for i in todo]))
        if a.keycache:
            keys = sorted(f for f in os.listdir(made) if f.endswith(".pem"))
            for f in keys[:n]:
                shutil.copyfile(f"{made}/{f}", f"{self.pool}/{f}")
        self.t_keypool = time.time() - t
        self.pool_size = n
        print(f"sim: key pool: {n} RSA-2048 keys ({len(have)} there already"
              f"{' in the cache ' + made if a.keycache else ''}), "
              f"{len(todo)} made in {self.t_keypool:.1f} s "
              f"({os.cpu_count()} at once), before the run", flush=True)

    def note(self, now, what):
        self.events.append((now, what))
        print(f"sim: day {(now - self.t0) / DAY:7.1f}: {what}", flush=True)

    def run(self):
        a = self.a
        self.clk = subprocess.Popen([f"{B}/sim-clock"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True,
                                    env=self.env)
        now, nxt = self.start_cas()
        self.fp = ctl(f"{self.T}/ca.ctl", "show server",
                      self.server)["result"]["fingerprint"]
        if a.tiers == 3:
            with open(f"{self.out}/tiers", "w") as f:
                f.write("3\n")
            self.record_cas(now)
        os.makedirs(f"{self.T}/exp", exist_ok=True)
        self.t0 = self.t0_guess = now
        self.plan_trustpoints()
        self.pool_size = 0
        if self.a.keypool:
            self.fill_keypool()
        with open(f"{self.out}/start", "w") as f:
            f.write(f"{now}\n")
        faults = self.plan_faults(now)
        end = now + int(a.years * 365 * DAY)
        started = set()
        t_real = time.time()
        self.stopped = None
        while now < end:
            if self.stop_now or (a.stop_after and
                                 time.time() - t_real > a.stop_after):
                # Judged as far as it got; the summary says it stopped.
                self.stopped = (now - self.t0) / DAY
                self.note(now, f"run stopped at lab day {self.stopped:.1f}"
                          f" of {(end - self.t0) / DAY:.0f}")
                break
            while faults and faults[0][0] <= now:
                _, what, fn = faults.pop(0)
                self.note(now, what)
                fn()
                now, nxt = self.settle()
            for k in sorted({tp["pid"] for tp in self.tps.values()}):
                t = time.time()
                if self.start_batch(k, now, started):
                    now, nxt = self.settle()
                self.t_batch += time.time() - t
            t = time.time()
            for _ in range(20):  # bounded: each retry settles anew
                if self.collect(now):
                    break
                now, nxt = self.settle()
            else:
                raise SimError("the lab clocks passed a bound during "
                               "20 collects in a row")
            self.t_collect += time.time() - t
            target = min(now + a.max_step, end)
            if nxt and nxt > now:
                target = min(target, nxt + a.window)
                # Near a CA's end nothing is batched: a timer due within
                # the window before it fires on time (a SHADOW with its
                # margin, its retries), not at the end.  (An identity's
                # end is reached only when its renewal is late: there a
                # step stops, below, without unbatching.)
                if any(nxt <= e < nxt + a.window for e in self.ca_ends):
                    target = min(target, nxt)
            if faults:
                target = min(target, max(faults[0][0], now + 1))
            target = self.stop_at_bounds(now, target)
            for tp in self.tps.values():
                if tp["start"] is not None and tp["start"] > now:
                    target = min(target, tp["start"])
            target = self.cut_step(now, target)
            self.clock(f"advance {max(target - now, 1)}")
            self.stepped(max(target, now + 1))
            now, nxt = self.settle()
        while not self.collect(now):
            now, nxt = self.settle()
        self.scrape_all()
        if a.tiers == 3:
            self.scrape(a.port + 1, self.root_requests)
        with open(f"{self.out}/end", "w") as f:
            f.write(f"{now}\n")
        self.real = time.time() - t_real
        self.rate = (now - self.t0) / DAY / max(self.real, 1e-9)
        print(f"sim: real time {self.real:.1f} s: settling {self.t_settle:.1f} s"
              f" (of it new trustpoints {self.t_batch:.1f} s), collecting"
              f" {self.t_collect:.1f} s; RSA keys made {self.keygens()}"
              f" ({self.pool_misses()} outside the pool of {self.pool_size},"
              f" made in {self.t_keypool:.1f} s before the run); new"
              f" trustpoints by {self.reloads} reloads and {self.restarts}"
              f" first starts; {self.recollects} collects redone (a bound"
              f" passed while reading); {self.rate * 60:.1f} lab days a"
              f" minute",
              flush=True)
        rc = self.report(now)
        if self.stopped is not None:
            print(f"sim: STOPPED before the end, at lab day {self.stopped:.1f}"
                  f" of {a.years * 365:.0f}: partial", flush=True)
            return rc or 2
        return rc

    def scrape_all(self):
        self.scrape()

    def bounds(self):
        """The instants no step may jump over: every CA certificate's end
        (the promotion instant, and the instant every trustpoint must
        hold the next chain) and every held identity's end."""
        b = set(self.ca_ends)
        for tp in self.tps.values():
            if tp.get("id"):
                b.add(analyze.times(tp["id"][0])[1])
        return b

    def cut_step(self, now, target):
        """--ha: a step also stops at a kill in the middle of a step."""
        return target

    def stepped(self, now):
        """--ha: right after the clock moved, before the daemons settle."""

    def stop_at_bounds(self, now, target):
        """The step's target, cut at the first bound inside it: it stops
        one second before the bound (what is due before it fires before
        it, as on time, and is checked there) and then at the bound
        itself (what is due at it fires, and is checked right after)."""
        cut = False
        for e in self.bounds():
            for t in (e - 1, e):
                if now < t < target:
                    target, cut = t, True
        self.bound_stops += cut
        return target

    def start_batch(self, k, now, started):
        """Trustpoints whose start time has come join their pkid (a
        reload, or the pkid's first start)."""
        due = [n for n, tp in self.tps.items()
               if tp["pid"] == k and n not in started
               and tp["plan"] <= now]
        if not due:
            return False
        for n in due:
            self.tps[n]["start"] = now
            started.add(n)
        path = self.client_conf(k)
        name = f"cl{k}"
        if name in self.procs:
            # A running pkid takes its new trustpoints by a reload.
            r = ctl(f"{self.T}/{name}.ctl", "reload", timeout=60)
            # The reply waits 20 s at most; a reload still enrolling its
            # new trustpoints then goes on (the settle waits for it).
            # pkid answers that with -ETIMEDOUT, "the reload did not
            # finish in 20 s" (an earlier text said "timed out").
            if r["status"] and r["status"] != -errno.ETIMEDOUT and \
                    "timed out" not in str(r.get("error")):
                raise SimError(f"{name} reload: {r.get('error')}")
            self.reloads += 1
        elif not self.offline.get(name):
            self.start_pkid(name)
            self.restarts += 1
        bad = self.check(path) - set(self.expect_gap)
        if bad and not a_negative(self.a):
            raise SimError(f"pkictl check refuses {sorted(bad)} of {name}")
        return True

    def report(self, now):
        res = analyze.main(self.out, extra={
            "steps": self.steps, "bound_stops": self.bound_stops,
            "checks": self.checks,
            "bad_checks": self.bad_checks, "requests": self.requests,
            "root_requests": self.root_requests,
            "events": [((t - self.t0) / DAY, w) for t, w in self.events],
            "real_seconds": self.real, "expect_gap": self.expect_gap,
            "keypool": {"keys": self.pool_size, "seconds": self.t_keypool,
                        "misses": self.pool_misses(),
                        "keys_made": self.keygens()},
            "batches": {"reloads": self.reloads, "starts": self.restarts},
            "collects_redone": self.recollects,
            "stopped_at_day": self.stopped,
            "negative": self.a.negative, "tiers": self.a.tiers,
            "offline": {n: [(x[0], x[1] or now, x[2] if len(x) > 2 else now)
                            for x in self.off_spans.get(f"cl{tp['pid']}", [])]
                        for n, tp in self.tps.items()},
            "first_bad": {n: (t - self.t0) / DAY
                          for n, t in self.bad_now.items()}})
        return res


def a_negative(a):
    return a.negative


class MainSim(Sim):
    """The full scenario: accepted configurations, every fault."""

    def plan_trustpoints(self):
        a, rng = self.a, self.rng
        self.expect_gap = {}
        self.offline = {}
        for k in range(a.pids):
            for i in range(a.tps):
                name = f"T{k}x{i}"
                # Random start in the first CA generation's first 300 days,
                # client 0's first trustpoints at once.
                # Quantised to --start-slot days: a batch of new
                # trustpoints is one reload of its pkid.
                slot = a.start_slot * DAY
                plan = self.t0_guess + (0 if i < 2 else
                                        rng.randrange(0, 300 * DAY)
                                        // slot * slot)
                self.tps[name] = {
                    "pid": k, "plan": plan, "start": None, "first": None,
                    "pct": rng.randrange(80, 100),
                    "regenerate": rng.random() < a.regenerate,
                    "retry": rng.choice([None, 1, 2, 5]),
                    # The pkid that is offline across a CA switch holds a
                    # challenge: it can recover (docs/TIMERS.md).
                    "password": "simpass" if k == a.pids - 1 else None,
                }

    def plan_faults(self, now):
        a = self.a
        ca = a.ca_days * DAY
        last = f"cl{a.pids - 1}"
        f = []

        def at(day, what, fn):
            f.append((now + int(day * DAY), what, fn))

        # Generation 1 ends at ca; rollovers exist from ca - overlap.
        overlap = int(a.overlap.split()[0])
        at(0.6 * ca / DAY, "CA restart", lambda: self.restart("ca"))
        at(400, "client restart (cl0)", lambda: self.restart("cl0"))
        at(ca / DAY - overlap + 20, "keystore restart (blobs restored)",
           lambda: self.keystore_restart("cl0"))
        at(ca / DAY + 100, "CA down for 5 days", lambda: self.stop_pkid("ca"))
        at(ca / DAY + 105, "CA back", lambda: self.start_pkid("ca"))
        at(2 * ca / DAY - overlap + 10, "rollover cancelled by the operator",
           self.cancel_rollover)
        at(2 * ca / DAY + 200, "time authority lost",
           lambda: self.clock("unauthoritative"))
        at(2 * ca / DAY + 203, "time authority regained (3 days later)",
           lambda: None)
        at(3 * ca / DAY - overlap - 40, "manual grant begins",
           lambda: self.set_grant(True))
        for d in range(1, 60, 2):
            at(3 * ca / DAY - overlap - 40 + d, None, self.grant_all)
        at(3 * ca / DAY - overlap + 20, "manual grant ends",
           lambda: self.set_grant(False))
        at(4 * ca / DAY - 25, f"client {last} offline across the CA switch",
           lambda: self.go_offline(last, True))
        at(4 * ca / DAY + 15, f"client {last} back",
           lambda: self.go_offline(last, False))
        if a.tiers == 3:
            f = self.tier_faults(at)
        f = [x for x in f if x[0] < now + int(a.years * 365 * DAY)
             and not a.no_faults]
        f.sort(key=lambda x: x[0])
        return f

    def tier_faults(self, at):
        """--tiers 3 keeps the faults of the CAs' processes and one
        client's: the sub and the root restarted, the root down for 5
        days across the opening of the sub's first rollover window (the
        sub's request for SUB# waits with CONNECT RETRY), a client pkid
        restarted.
        (The grant, cancel, clock and offline faults are the two-tier
        run's.)"""
        a = self.a
        ca, overlap = a.ca_days, int(a.overlap.split()[0])
        f = []

        def at3(day, what, fn):
            f.append((self.t0 + int(day * DAY), what, fn))
        at3(0.6 * ca, "sub CA restart", lambda: self.restart("ca"))
        at3(0.7 * ca, "root CA restart", lambda: self.restart("root"))
        at3(ca - overlap - 2, "root CA down for 5 days (the sub's window "
            "opens meanwhile)", lambda: self.stop_pkid("root"))
        at3(ca - overlap + 3, "root CA back",
            lambda: self.start_pkid("root"))
        at3(400, "client restart (cl0)", lambda: self.restart("cl0"))
        return f

    def note(self, now, what):
        if what:
            super().note(now, what)

    def restart(self, name):
        self.stop_pkid(name)
        self.start_pkid(name)

    def keystore_restart(self, name):
        # The pkid stays up and reconnects by itself, restoring its keys
        # from the wrapped blobs it keeps.
        self.stop(f"ks-{name}")
        self.start_keystore(name)
        self.clock("reopen")
        self.clock("advance 1")  # a restarted lab clock is not authoritative

    def cancel_rollover(self):
        r = ctl(f"{self.T}/ca.ctl", "server rollover cancel", self.server)
        if r["status"]:
            raise SimError(f"rollover cancel: {r['error']}")

    def set_grant(self, manual):
        self.grant_manual = manual
        self.ca_conf()
        r = ctl(f"{self.T}/ca.ctl", "reload")
        if r["status"]:
            raise SimError(f"CA reload: {r['error']}")

    def grant_all(self):
        ctl(f"{self.T}/ca.ctl", "server grant", self.server, "all")

    def go_offline(self, name, off):
        self.offline[name] = off
        now = self.clock("now")[0]
        if off:
            self.off_spans.setdefault(name, []).append([now, None])
            self.stop_pkid(name)
        else:
            self.off_spans[name][-1][1] = now
            self.start_pkid(name)


class HASim(MainSim):
    """--ha (issue 18): the CA is two pkid nodes, ca (port PORT) and cb
    (PORT+1), on one PostgreSQL (tools/sim/sim_pg.sh starts it: its URL
    and password file come in PKID_TEST_PG_URL and PGPASSFILE), each with
    its own pkiksd --lab (one KEK file, as the operator provisions it);
    sim-clock moves the nodes' and the clients' keystores together.  A
    trustpoint lists one enrollment url: client pkid k's trustpoints
    enroll at node k mod 2.  The leader is killed -9 and restarted later:
    inside the step where its shadow generation fires, inside the step
    where its promotion fires (the kill 0-0.5 s of real time after the
    clock moved: the work is racing it), once at a random instant inside
    each rollover window, and at --ha-kills random instants of the run.
    After every settle both nodes serve the same CA certificates and
    exactly one leads (bounded: 30 s of real time, else the run fails);
    after every kill the survivor's takeover is timed.  At the end the
    database must hold exactly the CA certificates the nodes served, one
    per generation, and every identity a client received byte for byte."""
    NODES = ("ca", "cb")

    def __init__(self, a):
        super().__init__(a)
        self.pg_url = os.environ.get("PKID_TEST_PG_URL")
        self.pg_pass = os.environ.get("PGPASSFILE")
        if not self.pg_url or not self.pg_pass:
            raise SimError("--ha needs PostgreSQL: run it through "
                           "tools/sim/sim_pg.sh (make sim-ha)")
        self.down = set()
        self.leader = None
        self.ha_pem = b""
        self.kills = []         # {"day", "node", "mid", "takeover_s", ...}
        self.midkills = []      # lab instants: a kill inside that step
        self.planned_ends = set()
        self.kill_at = set()    # lab instants of the kills between steps
        self.ha_rng = random.Random(a.seed + 18)
        self.ha_waits = 0       # rounds a settle waited for the nodes
        self.t_ha = 0.0
        self.ha_restarts = 0
        self.missed_kills = 0

    # ---- the nodes -------------------------------------------------------
    def port_of(self, n):
        return self.a.port + self.NODES.index(n)

    def node_url(self, n):
        return f"http://127.0.0.1:{self.port_of(n)}/cgi-bin/pkiclient.exe"

    def kek_path(self, name):
        # One key-encryption key on every node (docs/POSTGRESQL.md
        # "Keys"): the CA key travels as the blob the leader stored.
        if name in self.NODES:
            return f"{self.T}/kek-ca"
        return super().kek_path(name)

    def tp_url(self, tp):
        return self.node_url(self.NODES[tp["pid"] % len(self.NODES)])

    def live(self):
        return [n for n in self.NODES if n not in self.down]

    def ca_conf(self):
        for n in self.NODES:
            self.write_ca_conf(n, self.port_of(n),
                               f" database url {self.T}/{n}-db\n"
                               f" database connection {self.pg_url}\n"
                               f" database credentials {self.pg_pass}\n")

    def start_cas(self):
        """Node ca first (it makes the CA and leads), then cb (it imports
        the CA key from its blob and follows)."""
        self.ca_conf()
        self.down = {"cb"}
        self.start_pkid("ca")
        self.settle()
        self.down = set()
        self.start_pkid("cb")
        return self.settle()

    def show(self, n):
        try:
            return ctl(f"{self.T}/{n}.ctl", "show server", "SIMCA",
                       timeout=20).get("result") or {}
        except (OSError, SimError, ValueError):
            return {}

    def scrape_node(self, name):
        if name in self.NODES and name not in self.down:
            self.scrape(self.port_of(name))

    def scrape_all(self):
        for n in self.live():
            self.scrape(self.port_of(n))

    # ---- after every settle: the nodes agree ------------------------------
    def settle(self):
        r = super().settle()
        self.ha_sync()
        return r

    def ha_sync(self):
        """Every live node serves the same CA certificates (GetCACert,
        GetNextCACert's content) and exactly one leads.  A follower
        publishes a change the leader made within LEAD_PERIOD_MS
        (0.5 s, ca_lead.c) of real time; 30 s bound it here."""
        t = time.time()
        while True:
            roles = {n: self.show(n).get("role") for n in self.live()}
            pems = {n: self.ca_pems([self.node_url(n)]) for n in self.live()}
            leaders = [n for n, r in roles.items() if r == "leader"]
            same = len(set(pems.values())) == 1 and all(pems.values())
            if len(leaders) == 1 and same:
                break
            if time.time() - t > 30:
                raise SimError(f"the CA nodes do not agree after 30 s: "
                               f"roles {roles}, the same CA certificates "
                               f"served: {same}")
            self.ha_waits += 1
            time.sleep(0.05)
        self.ha_pem = pems[leaders[0]]
        self.leader = leaders[0]
        self.t_ha += time.time() - t

    def get_ca(self):
        return self.ha_pem  # what every node served at the last settle

    # ---- kills -----------------------------------------------------------
    def overlap_s(self):
        o = [int(x) for x in self.a.overlap.split()] + [0, 0]
        return o[0] * DAY + o[1] * 3600 + o[2] * 60

    def plan_faults(self, now):
        """--ha-kills leader kills at random instants (planned later: the
        ones inside each rollover window and at its two steps, cut_step)."""
        self.end_lab = now + int(self.a.years * 365 * DAY)
        self.faults = []
        for _ in range(self.a.ha_kills):
            t = now + self.ha_rng.randrange(20 * DAY, max(
                21 * DAY, self.end_lab - now - 20 * DAY))
            self.faults.append((t, None, lambda: self.kill_leader(False)))
            self.kill_at.add(t)
        self.faults.sort(key=lambda x: x[0])
        return self.faults

    def plan_end(self, e, now):
        """A CA end seen: kill the leader inside the step where its
        shadow generation fires (e - overlap) and inside the step where
        its promotion fires (e), and at a random instant inside the
        window; the random kills within 3 days of these are dropped."""
        self.planned_ends.add(e)
        ov = self.overlap_s()
        new = [t for t in (e - ov, e) if now < t < self.end_lab]
        self.midkills = sorted(self.midkills + new)
        inside = e - ov + self.ha_rng.randrange(2 * DAY, max(ov - 2 * DAY,
                                                            2 * DAY + 1))
        near = {t for t in self.kill_at
                if any(abs(t - x) <= 3 * DAY for x in new + [inside])}
        self.kill_at -= near
        self.faults[:] = [x for x in self.faults if x[0] not in near]
        if now < inside < min(e - DAY, self.end_lab):
            self.faults.append((inside, None,
                                lambda: self.kill_leader(False)))
            self.kill_at.add(inside)
        self.faults.sort(key=lambda x: x[0])

    def cut_step(self, now, target):
        for e in sorted(self.ca_ends - self.planned_ends):
            self.plan_end(e, now)
        while self.midkills and self.midkills[0] <= now:
            # passed while a settle ran (the lab clocks run at real pace)
            self.note(now, f"kill planned inside the step at day "
                      f"{(self.midkills.pop(0) - self.t0) / DAY:.2f} "
                      "missed: the clock passed it")
            self.missed_kills += 1
        m = self.midkills[0] if self.midkills else None
        if m in self.ca_ends and target == m - 1:
            # The promotion's kill: straight to the CA's end, without the
            # stop one second before it (stop_at_bounds): a settle there
            # that takes more than a second of real time lets the clock
            # pass the end, the promotion runs inside it, and the kill
            # would come after it.
            target = m
        if self.midkills and self.midkills[0] <= target:
            target = self.midkills[0]
            # its counters now: the kill comes inside the step
            self.scrape_node(self.leader)
        return target

    def stepped(self, now):
        if self.midkills and self.midkills[0] <= now:
            # a promotion takes milliseconds, the shadow generation an
            # RSA key (0.1-1 s here): the kill comes within that
            late = 0.1 if self.midkills.pop(0) in self.ca_ends else 0.5
            self.kill_leader(late)

    def next_kill(self, after):
        ts = [t for t in self.kill_at | set(self.midkills) if t > after]
        return min(ts, default=self.end_lab)

    def kill_leader(self, mid):
        """kill -9 of the leader (mid: 0-MID s of real time after the
        clock moved, while the step's work runs); the survivor's takeover
        (its `show server` takeovers count moves when the CA's work has
        resumed, ca_lead.c take_over) is timed; the killed node restarts
        1 hour to 1 day later, before the next kill."""
        now = self.clock("now")[0]
        lead = self.leader
        rest = [n for n in self.live() if n != lead]
        if lead not in self.live() or not rest:
            raise SimError(f"kill planned with nodes {self.live()} up")
        other = rest[0]
        before = self.show(other).get("takeovers", 0)
        if mid:
            time.sleep(self.ha_rng.uniform(0, mid))
        else:
            self.scrape_node(lead)
        p = self.procs.pop(lead)
        p.kill()
        t0 = time.time()
        p.wait()
        self.clock(f"unwatch {self.T}/{lead}.ctl")
        self.down.add(lead)
        # where the CA's rollover stood when it died (0 none, 1 key, 2
        # rollover CA, 3 promoting: ca_rollover.c)
        step = self.psql("SELECT rollover FROM ca WHERE name = 'SIMCA'")
        with open(f"{self.T}/{lead}.log", "rb") as f:
            f.seek(max(0, os.path.getsize(f"{self.T}/{lead}.log") - 4096))
            last = [x for x in f.read().decode(errors="replace")
                    .splitlines() if x.strip()][-1:]
        while time.time() - t0 < 60:
            s = self.show(other)
            if s.get("role") == "leader" and s.get("takeovers", 0) > before:
                break
            time.sleep(0.02)
        else:
            self.hold(other)
            raise SimError(f"node {other} did not take over in 60 s")
        took = time.time() - t0
        delay = self.ha_rng.randrange(3600, DAY)
        delay = min(delay, max((self.next_kill(now) - now) // 2, 60))
        self.faults.append((now + delay, None,
                            lambda: self.restart_node(lead)))
        self.faults.sort(key=lambda x: x[0])
        day = (now - self.t0) / DAY
        self.kills.append({"day": day, "node": lead, "mid": bool(mid),
                           "takeover_s": took, "down_s": delay,
                           "step": step.strip(),
                           "last_log": last[0] if last else ""})
        self.note(now, f"leader {lead} killed -9 "
                  f"{'inside a step' if mid else 'between steps'}: "
                  f"{other} took over in {took:.2f} s (real); {lead} back "
                  f"in {delay / 3600:.1f} lab hours")

    def hold(self, n):
        """SIM_HA_HOLD=SECONDS: a failed node kept running that long (for
        gdb -p), its pid printed."""
        t = int(os.environ.get("SIM_HA_HOLD", "0"))
        if t:
            print(f"sim: holding: node {n} is pid {self.procs[n].pid}, "
                  f"files in {self.T}, for {t} s", flush=True)
            time.sleep(t)

    def restart_node(self, n):
        self.down.discard(n)
        self.ha_restarts += 1
        self.start_pkid(n)  # its keystore kept running (and its clock)

    # ---- the end: the database against what was served --------------------
    def psql(self, sql):
        r = subprocess.run(["psql", "-qAtX", "-d", self.pg_url, "-c", sql],
                           capture_output=True, text=True,
                           env=dict(self.env, PGPASSFILE=self.pg_pass))
        if r.returncode:
            raise SimError(f"psql: {r.stderr.strip()}")
        return r.stdout

    def report(self, now):
        rc = super().report(now)
        bad = []
        served, ras = {}, {}
        for f in glob.glob(f"{self.out}/ca/ca.*.pem"):
            for c in analyze.load_pems(f):
                (served if analyze.is_ca(c) else
                 ras)[c.tbs_certificate_bytes] = c
        db = {}
        rows = self.psql("SELECT encode(cur_cert, 'hex') || ' ' || "
                         "coalesce(encode(roll_cert, 'hex'), '') FROM ca "
                         "WHERE name = 'SIMCA'").split()
        rows += self.psql("SELECT encode(data, 'hex') FROM ca_file WHERE "
                          "server = 'SIMCA' AND name LIKE 'SIMCA-ca-%'"
                          ).split()
        for h in rows:
            db.update((c.tbs_certificate_bytes, c) for c in
                      analyze.load_ders(bytes.fromhex(h)))
        gens = sorted(served.values(), key=lambda c: analyze.times(c)[1])
        ov = self.overlap_s()
        end = int(open(f"{self.out}/end").read())
        # each generation whose window opened before the end has exactly
        # one successor: the CA certificates served are 1 + those
        opened = sum(1 for c in gens if analyze.times(c)[1] - ov <= end)
        want = 1 + opened
        if len(gens) != want:
            bad.append(f"{len(gens)} CA certificates served, want {want} "
                       "(one per generation)")
        if len(ras) != len(gens):
            bad.append(f"{len(ras)} RA certificates served for "
                       f"{len(gens)} CA generations")
        if set(served) != set(db):
            bad.append(f"served {len(served)} CA certificates, the database"
                       f" holds {len(db)}, {len(set(served) & set(db))} "
                       "of them the same")
        ders = set(self.psql("SELECT encode(der, 'hex') FROM cert WHERE "
                             "server = 'SIMCA'").split())
        ids = 0
        for f in glob.glob(f"{self.out}/history/*.pem"):
            c = analyze.load_pems(f)[0]
            ids += 1
            if c.public_bytes(serialization.Encoding.DER).hex() \
                    not in ders:
                bad.append(f"{os.path.basename(f)}: not in the database "
                           "byte for byte")
        promoted = sum(1 for c in gens[:-1] if analyze.times(c)[1] <= end)
        acts = sum(open(f"{self.T}/{n}.log", errors="replace").read()
                   .count("CS_ROLLOVER_ACTIVATED") for n in self.NODES)
        tk = sorted(k["takeover_s"] for k in self.kills)
        lines = [
            f"ha: {len(self.kills)} leader kills ("
            f"{sum(k['mid'] for k in self.kills)} inside a step, "
            f"{self.missed_kills} planned inside a step missed), "
            f"{self.ha_restarts} restarts",
            "ha: takeover after kill -9 (real s): " +
            (f"median {tk[len(tk) // 2]:.2f}, worst {tk[-1]:.2f}"
             if tk else "none"),
            f"ha: CA certificates served {len(gens)} (want {want}; RA "
            f"certificates {len(ras)}), in the database {len(db)}; "
            f"promotions {promoted} "
            f"(CS_ROLLOVER_ACTIVATED logged {acts})",
            f"ha: {ids} identities received, "
            f"{ids - sum('not in the database' in b for b in bad)} of them "
            "in the database byte for byte",
            f"ha: settles waited {self.ha_waits} rounds for the nodes to "
            f"agree ({self.t_ha:.1f} s in all)"]
        for k in self.kills:
            lines.append(f"ha: day {k['day']:8.2f} kill {k['node']} "
                         f"{'mid-step' if k['mid'] else 'quiet   '} "
                         f"takeover {k['takeover_s']:.2f} s, down "
                         f"{k['down_s'] / 3600:.1f} h, rollover step "
                         f"{k['step']} in the database; its last log line: "
                         f"{k['last_log'][5:100]}")
        lines += [f"ha: FAIL: {b}" for b in bad]
        lines.append("ha: " + ("OK" if not bad else "FAIL"))
        with open(f"{self.out}/summary.txt", "a") as f:
            f.write("\n".join(lines) + "\n")
        with open(f"{self.out}/ha.json", "w") as f:
            json.dump({"kills": self.kills, "ca_served": len(gens),
                       "ca_want": want, "ca_in_db": len(db),
                       "promotions": promoted, "activated_logged": acts,
                       "identities": ids, "bad": bad,
                       "ha_waits": self.ha_waits,
                       "missed_kills": self.missed_kills}, f, indent=1)
        print("\n".join(lines), flush=True)
        return rc or (1 if bad else 0)


# The negative control's cases: the CA's auto-rollover, the timer window
# (timers due this close together fire together) and its trustpoints:
# (auto-enroll %, extra trustpoint lines).  "long" is the case, a
# 30-day overlap with auto-enroll 60-75, which `pkictl check` warns about
# (IOS lapses there) but pkid recovers from; "short" is a one-hour overlap
# with a retry max-period of 7 days, which pkid really lapses on.
NEGATIVE = {
    "long": ("30", DAY // 2, [
        (60, []), (70, []), (75, []),
        (75, ["enrollment retry count 3"]),
        (95, []), (98, []), (99, [])]),
    "short": ("0 1", 60, [
        (60, ["enrollment retry period 60",
              "enrollment retry max-period 10080",
              "enrollment retry count 1000"]),
        (99, ["enrollment retry max-period 10080"]),
        (99, []), (99, ["enrollment retry period 5"])]),
}


class NegativeSim(Sim):
    """Negative control: configurations `pkictl check` finds errors in
    next to ones it accepts (or only warns about); the checker's list of
    trustpoints with errors must be the list of trustpoints with gaps."""

    def plan_trustpoints(self):
        self.offline = {}
        _, _, cases = NEGATIVE[self.a.negative]
        for k in range(self.a.pids):
            for i, (pct, extra) in enumerate(cases):
                name = f"N{k}x{i}"
                self.tps[name] = {"pid": k, "plan": self.worst_start(pct),
                                  "start": None, "first": None, "pct": pct,
                                  "regenerate": False, "retry": None,
                                  "extra": extra}
        path = f"{self.T}/predict.conf"
        with open(path, "w") as f:
            # The CA's timers from its own block, as an operator would
            # check one file holding both.
            f.write("crypto pki server SIMCA\n"
                    f" lifetime ca-certificate {self.a.ca_days}\n"
                    f" lifetime certificate {self.a.cert_days}\n"
                    f" auto-rollover {self.a.overlap}\n"
                    " lifetime crl 336\n")
            for name, tp in self.tps.items():
                f.write(self.tp_block(name, tp))
        self.findings = self.all_findings(path)
        self.expect_gap = sorted(n for n, fs in self.findings.items()
                                 if any(sev == "error" for _, sev in fs))

    def worst_start(self, pct):
        """The start that gives the checker's worst case: an identity of
        the full lifetime L issued exactly L before the CA's end (its
        SHADOW (1 - p)·L before that end).  Identities follow each other
        every p·L from the start, so start where one of them lands at
        the CA's end - L.  (Any other start cuts the last identity short
        and moves its SHADOW nearer the end.)"""
        life = self.a.cert_days * DAY
        at = self.a.ca_days * DAY - life
        step = life * pct // 100
        return self.t0_guess + at - (at // step) * step

    def all_findings(self, path):
        r = subprocess.run([f"{B}/pkictl", "--json", "check", "-c", path],
                           capture_output=True, text=True, env=self.env)
        out = {n: [] for n in self.tps}
        for f in json.loads(r.stdout)["findings"]:
            if f["object"].startswith("trustpoint "):
                out[f["object"].split()[-1]].append((f["id"], f["severity"]))
        return out

    def check(self, path):
        return set(self.expect_gap)

    def plan_faults(self, now):
        return []

    def report(self, now):
        rc = super().report(now)
        with open(f"{self.out}/summary.json") as f:
            gaps = json.load(f)["gap_by_tp"]
        rows = ["| auto-rollover | trustpoint | configuration | `pkictl check` "
                "| simulated gap seconds | agree |",
                "|---|---|---|---|---|---|"]
        for name, tp in self.tps.items():
            fs = self.findings[name]
            err = any(sev == "error" for _, sev in fs)
            g = gaps.get(name, 0)
            conf = "; ".join([f"auto-enroll {tp['pct']}"] + tp["extra"])
            found = ", ".join(f"{i} ({sev})" for i, sev in fs) or "clean"
            rows.append(f"| {self.a.overlap} | {name} | {conf} | {found} | {g} "
                        f"| {'yes' if err == (g > 0) else 'NO'} |")
        with open(f"{self.out}/negative.md", "w") as f:
            f.write("\n".join(rows) + "\n")
        print("\n".join(rows), flush=True)
        return rc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--pids", type=int, default=2)
    p.add_argument("--tps", type=int, default=5)
    p.add_argument("--years", type=float, default=4)
    p.add_argument("--port", type=int, default=19350)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--ca-days", type=int, default=730)
    p.add_argument("--cert-days", type=int, default=365)
    p.add_argument("--overlap", default="90",
                   help="auto-rollover: DAYS [HOURS [MINUTES]]")
    p.add_argument("--window", type=int, default=DAY // 2,
                   help="timers due this close after the next fire together")
    p.add_argument("--max-step", type=int, default=30 * DAY)
    p.add_argument("--regenerate", type=float, default=0.3,
                   help="the share of trustpoints with auto-enroll "
                   "regenerate (a new RSA key at each renewal)")
    p.add_argument("--start-slot", type=int, default=1,
                   help="trustpoints start on multiples of this many days")
    p.add_argument("--settle-ms", type=int, default=120000)
    p.add_argument("--keypool-dir",
                   help="the key pool's directory (default: in the run's "
                   "temp dir); keys already there are used first")
    p.add_argument("--stop-after", type=float, default=0,
                   help="stop after this many real seconds of the run and "
                   "judge it as far as it got (also on SIGTERM); the "
                   "summary says so and the exit status is 2")
    p.add_argument("--keycache",
                   help="a directory the keys are made into and kept "
                   "across runs (copied into the run's pool; make sim: "
                   "build/sim-keycache)")
    p.add_argument("--keypool", type=int, default=-1,
                   help="RSA keys made ahead on every core (-1: as many as "
                   "the run needs, 0: none, pkiks-keygen makes them)")
    p.add_argument("--negative", choices=sorted(NEGATIVE),
                   help="the negative control's case instead")
    p.add_argument("--tiers", type=int, choices=(2, 3), default=2,
                   help="3: a root CA pkid above the CA the clients "
                   "enroll at, which is then a sub-cs (--ca-days: the "
                   "sub's CA lifetime, the root's `lifetime certificate`;"
                   " --overlap: the sub's auto-rollover)")
    p.add_argument("--root-days", type=int, default=730,
                   help="--tiers 3: the root's lifetime ca-certificate")
    p.add_argument("--root-overlap", default="90",
                   help="--tiers 3: the root's auto-rollover")
    p.add_argument("--ha", action="store_true",
                   help="two CA nodes on one PostgreSQL (run through "
                   "tools/sim/sim_pg.sh), the leader killed -9 and "
                   "restarted (HASim)")
    p.add_argument("--ha-kills", type=int, default=2,
                   help="--ha: leader kills at random instants, besides "
                   "the ones in and at each rollover window")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--no-faults", action="store_true")
    a = p.parse_args()
    if a.negative and a.tiers == 3:
        p.error("--negative is a two-tier run")
    if a.negative:
        a.overlap, a.window, _ = NEGATIVE[a.negative]
    if a.ha and (a.negative or a.tiers == 3):
        p.error("--ha is a two-tier run")
    sim = (NegativeSim if a.negative else HASim if a.ha else MainSim)(a)

    def stop(signum, frame):
        sim.stop_now = True  # the loop ends at its next step and reports
    signal.signal(signal.SIGTERM, stop)
    rc = 1
    try:
        rc = sim.run()
        if rc == 1:  # gaps (or expected ones missing): keep the logs
            print(f"sim: the daemons' logs kept in {sim.T}", flush=True)
            a.keep = True
    except SimError as e:
        print(f"sim: FAIL: {e} (logs kept in {sim.T})", file=sys.stderr)
        a.keep = True
    finally:
        for name in list(sim.procs):
            if not name.startswith("ks-"):
                sim.stop(name)
        for name in list(sim.procs):
            sim.stop(name)
        if not a.keep:
            shutil.rmtree(sim.T, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
