#!/usr/bin/env python3
"""tools/sim/analyze.py OUTDIR: what sim.py left, judged from the outside.

Every exported file (history/TP.HASH.pem: identity, then the CA
certificate the trustpoint holds) and when the simulation first saw it
(seen) give, for each trustpoint, what it held when: a file is held from
when it appeared until the next one replaced it.  It counts as valid
where the identity and its CA certificate are both within their validity
periods, the identity is signed by that CA certificate (checked by
signature, as `openssl verify -attime` would) and that CA certificate is
one the CA served (ca/, caseen).  From its first identity to the end of
the run, every instant not covered is a gap.

Three tiers (OUTDIR/tiers holds 3, sim.py --tiers 3): the CA certificate
a trustpoint holds is the subordinate's; it counts as valid where, on
top of the above, it is signed by a root CA certificate the root served
that is valid then too (root <- sub <- identity, as `openssl verify
-attime -CAfile ROOT -untrusted SUB` would).  The summary lists both
CAs' generations and the rollovers of each tier.

Writes OUTDIR/summary.txt, OUTDIR/summary.json and OUTDIR/timeline.svg
(no fonts to fetch, no scripts).  Exits 1 when a trustpoint has a gap
that was not expected (sim.py's negative control passes the checker's
prediction) or an expected gap is missing.
"""
import datetime
import glob
import hashlib
import json
import os
import sys
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.hazmat.primitives.asymmetric import padding


BEGIN = b"-----BEGIN CERTIFICATE-----"
_sig_cache = {}


def short_hash(data):
    return hashlib.sha256(data).hexdigest()[:16]


def load_pems_bytes(data):
    """Every certificate of PEM data (Debian 12's cryptography 38 has no
    load_pem_x509_certificates)."""
    return [x509.load_pem_x509_certificate(BEGIN + part)
            for part in data.split(BEGIN)[1:]]


def load_pems(path):
    with open(path, "rb") as f:
        return load_pems_bytes(f.read())


def load_ders(der):
    """A DER certificate or the certificates of a PKCS#7 (SCEP replies)."""
    try:
        return [x509.load_der_x509_certificate(der)]
    except ValueError:
        pass
    try:
        # pkid's SET OF certificates is not in DER order (BER parses it).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(pkcs7.load_der_pkcs7_certificates(der))
    except ValueError:
        return []


def der_item(b, i):
    """(tag, start of contents, end) of the DER item at b[i]; None for
    an indefinite or overlong length."""
    if i + 2 > len(b):
        return None
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        if k == 0 or k > 4 or i + k > len(b):
            return None
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    if i + n > len(b):
        return None
    return tag, i, i + n


def signed_content(der):
    """The eContent of a CMS SignedData (ContentInfo { OID, [0] {
    SignedData { version, digestAlgorithms, encapContentInfo { OID, [0] {
    OCTET STRING } } ... } } }): what `openssl cms -verify -noverify`
    prints, without its signature check (the simulator reads the content
    only).  None when the encoding is not the definite-length one walked
    here (the caller asks openssl then)."""
    # (the container's tag, which of its children holds the rest)
    path = [(0x30, 1), (0xa0, 0), (0x30, 2), (0x30, 1), (0xa0, 0)]
    it = der_item(der, 0)
    for tag, child in path:
        if it is None or it[0] != tag:
            return None
        end = it[2]
        it = der_item(der, it[1])
        for _ in range(child):
            if it is None or it[2] >= end:
                return None
            it = der_item(der, it[2])
        if it is None or it[2] > end:
            return None
    if it is None or it[0] != 0x04:
        return None
    return der[it[1]:it[2]]


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def utc_seconds(c, name):
    """not_valid_*_utc (cryptography >= 42), else the naive UTC one."""
    t = getattr(c, name + "_utc", None)
    if t is None:
        t = getattr(c, name).replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


_times_cache = {}


def times(c):
    """(notBefore, notAfter) in seconds; remembered per certificate (the
    simulator asks for every held identity at every step)."""
    key = c.signature
    if key not in _times_cache:
        _times_cache[key] = (utc_seconds(c, "not_valid_before"),
                             utc_seconds(c, "not_valid_after"))
    return _times_cache[key]


def signed_by(cert, ca):
    key = (cert.signature, ca.tbs_certificate_bytes)
    if key not in _sig_cache:
        try:
            ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                   padding.PKCS1v15(),
                                   cert.signature_hash_algorithm)
            _sig_cache[key] = cert.issuer == ca.subject
        except Exception:
            _sig_cache[key] = False
    return _sig_cache[key]


def chain_valid_at(certs, t):
    """Identity (first) and CA (second) both valid at t, the one signed
    by the other: `openssl verify -attime t -CAfile CA identity`."""
    if len(certs) < 2:
        return False
    ident, ca = certs[0], certs[1]
    a, b = times(ident)
    c, d = times(ca)
    return a <= t <= b and c <= t <= d and signed_by(ident, ca)


def root_of(ca, roots, t=None):
    """The root (of roots) that signed the sub certificate ca, valid at
    t when t is given; None if there is none."""
    for r in roots:
        if signed_by(ca, r) and (t is None or
                                 times(r)[0] <= t <= times(r)[1]):
            return r
    return None


def chain3_valid_at(certs, roots, t):
    """chain_valid_at, and the CA certificate (the sub's) signed by a
    root of roots valid at t: root <- sub <- identity."""
    return chain_valid_at(certs, t) and root_of(certs[1], roots, t) is not None


def is_ca(c):
    try:
        return c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def read_seen(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            t, name = line.split()
            out.setdefault(name, int(t))
    return out


def load_cas(out, roots=True):
    """The CA generations served, in order of their start, and when each
    was first seen: the self-issued ones (roots), or (roots=False) the
    subordinate ones."""
    seen = read_seen(os.path.join(out, "caseen"))
    cas = {}
    for f in glob.glob(os.path.join(out, "ca", "*.pem")):
        for c in load_pems(f):
            if is_ca(c) and (c.issuer == c.subject) == roots:
                cas[c.tbs_certificate_bytes] = (c, seen.get(os.path.basename(f)))
    gens = sorted(cas.values(), key=lambda x: times(x[0])[0])
    return [g[0] for g in gens], [g[1] for g in gens]


def held_spans(files, gens, end, roots=None):
    """[(from, to, generation)] in which the trustpoint held a valid
    identity and chain; files: [(seen, [certs])] in order seen.  With
    roots (three tiers) gens are the sub's and the chain goes on to the
    root that signed the sub's certificate, whose validity counts too."""
    spans, unsigned = [], 0
    for i, (seen, certs) in enumerate(files):
        if len(certs) < 2:
            continue
        ident, ca = certs[0], certs[1]
        g = next((k for k, c in enumerate(gens)
                  if c.tbs_certificate_bytes == ca.tbs_certificate_bytes), None)
        root = root_of(ca, roots) if roots is not None else None
        if g is None or not signed_by(ident, ca) or \
                (roots is not None and root is None):
            unsigned += 1
            continue
        a = max(times(ident)[0], times(ca)[0])
        if root is not None:
            a = max(a, times(root)[0])
        if i > 0:
            a = max(a, files[i - 1][0])
        b = min(times(ident)[1], times(ca)[1])
        if root is not None:
            b = min(b, times(root)[1])
        if i + 1 < len(files):
            b = min(b, files[i + 1][0])
        b = min(b, end)
        if b > a:
            spans.append((a, b, g))
    return spans, unsigned


def gaps_of(spans, first, end):
    covered, gaps = first, []
    for a, b, _ in sorted(spans):
        if a > covered:
            gaps.append((covered, min(a, end)))
        covered = max(covered, b)
    if covered < end:
        gaps.append((covered, end))
    return [(a, b) for a, b in gaps if b > a]


def main(out, extra=None):
    extra = extra or {}
    start = int(open(os.path.join(out, "start")).read())
    end = int(open(os.path.join(out, "end")).read())
    tiers = 2
    if os.path.exists(os.path.join(out, "tiers")):
        tiers = int(open(os.path.join(out, "tiers")).read())
    roots = None
    if tiers == 3:
        roots, root_seen = load_cas(out)
        gens, gen_seen = load_cas(out, roots=False)
    else:
        gens, gen_seen = load_cas(out)
    seen = read_seen(os.path.join(out, "seen"))
    tps = {}
    for f in glob.glob(os.path.join(out, "history", "*.pem")):
        base = os.path.basename(f)
        tps.setdefault(base.split(".")[0], []).append(
            (seen.get(base, end), load_pems(f)))
    rows, gap_total, gap_n, unsigned, gap_off = [], 0, 0, 0, 0
    offline = extra.get("offline", {})
    expected = set(extra.get("expect_gap", []))
    gapped = []
    recovery = []  # seconds from power-on to an identity, per trustpoint
    gap_by_tp = {}
    first_under = {}  # (tp, gen) -> first instant seen holding gen
    for name in sorted(tps):
        files = sorted(tps[name], key=lambda x: x[0])
        spans, u = held_spans(files, gens, end, roots)
        unsigned += u
        first = min((s[0] for s in spans), default=end)
        gaps = gaps_of(spans, first, end)
        for a, _, g in spans:
            first_under.setdefault((name, g), a)
        for t, certs in files:
            for g, c in enumerate(gens):
                if len(certs) > 1 and certs[1].tbs_certificate_bytes == \
                        c.tbs_certificate_bytes:
                    first_under[(name, g)] = min(
                        first_under.get((name, g), t), t)
        # While its router is off nobody uses the identity: a gap then is
        # counted apart.  A router that was off across its CA's switch
        # comes back with a chain that ended while it was off; it cannot
        # hold a valid one before it has enrolled again: that recovery,
        # from power-on to an identity held at the first check after it,
        # is counted apart too (recovery seconds, and the longest).  What
        # remains after that counts as a gap.
        on = []
        for a, b in gaps:
            for oa, ob, checked in offline.get(name, []):
                if oa <= a < ob:
                    gap_off += min(b, ob) - a
                    a = min(b, ob)
                    if a == ob and b <= checked:
                        recovery.append(b - a)
                        a = b
                elif a < oa < b:
                    gap_off += min(b, ob) - oa
                    on.append((a, oa))
                    a = min(b, ob)
            if b > a:
                on.append((a, b))
        if on:
            gapped.append(name)
        if name not in expected:
            gap_total += sum(b - a for a, b in on)
            gap_n += len(on)
        rows.append((name, spans, on))
        gap_by_tp[name] = sum(b - a for a, b in on)
    n_ids = sum(len(v) for v in tps.values())
    reqs = extra.get("requests", {})
    n_req = sum(reqs.values())
    lines = [
        f"trustpoints {len(tps)}, simulated {(end - start) / 86400 / 365:.1f} years"
        + (f" (STOPPED at lab day {extra['stopped_at_day']:.1f}: partial)"
           if extra.get("stopped_at_day") is not None else "")
        + (f" in {extra['real_seconds']:.0f} s real time, {extra['steps']} steps"
           f" ({extra.get('bound_stops', 0)} cut at a CA or identity end)"
           if "real_seconds" in extra else ""),
        f"CA generations {len(gens)} (rollovers {max(len(gens) - 1, 0)})",
        f"identities {n_ids} (initial {len(tps)}, renewals and SHADOW {n_ids - len(tps)})",
        f"CA requests {n_req} ({', '.join(f'{k} {v}' for k, v in sorted(reqs.items()))}),"
        f" per identity {n_req / max(n_ids, 1):.3f}",
        f"gap intervals {gap_n}, gap seconds {gap_total}"
        f" (trustpoints with gaps: {len([g for g in gapped if g not in expected])});"
        f" while their router was off: {gap_off} s, not counted",
        f"power-on recovery (chain ended while the router was off; enrolled"
        f" again by the first check after power-on): {len(recovery)}"
        f" trustpoints, {sum(recovery)} s, longest {max(recovery, default=0)} s",
        f"identities with a chain the CA never served or a bad signature {unsigned}",
    ]
    if "checks" in extra:
        lines.append(f"checks at step instants {extra['checks']}, "
                     f"invalid {extra['bad_checks']}")
    # The chain of promoted generations: each starts where the previous
    # one ends; of several that do (a rollover cancelled, then made
    # again), the one served last is the one promoted.
    props = []
    chain, cancelled = promoted(gens, gen_seen)
    for i, g in enumerate(chain[1:], 1):
        switch = times(gens[chain[i - 1]])[1]
        if switch > end:
            break
        avail = gen_seen[g] or times(gens[g])[0]
        alive = [n for n in tps if min((t for t, _ in tps[n]), default=end) < switch]
        reach = [first_under.get((n, g)) for n in alive]
        late = [n for n, r in zip(alive, reach) if r is None]
        last = max((r for r in reach if r is not None), default=None)
        props.append((i, avail, switch, last, late))
        if last is not None:
            lines.append(
                f"rollover {i}: CA served from day {(avail - start) / 86400:.1f},"
                f" switch day {(switch - start) / 86400:.1f}, reached all {len(alive)}"
                f" trustpoints {(last - avail) / 86400:.1f} days after it was served"
                f" ({(switch - last) / 86400:+.1f} days before the switch)"
                + (f"; never reached {len(late)}: {' '.join(late[:8])}" if late else ""))
    lines[1] = (f"CA generations {len(gens)}: rollovers promoted "
                f"{sum(1 for p in props if p[3] is not None)}, cancelled "
                f"{cancelled}, made and not due yet "
                f"{len(gens) - 1 - cancelled - sum(1 for p in props if p[3] is not None)}")
    root_info = []
    if tiers == 3:
        lines[1] = "sub " + lines[1]
        rchain, rcancelled = promoted(roots, root_seen)
        rprom = [g for g in rchain[1:] if times(roots[g])[0] <= end]
        sprom = sum(1 for p in props if p[3] is not None)
        lines.insert(2, f"root CA generations {len(roots)}: rollovers promoted "
                     f"{len(rprom)}, cancelled {rcancelled}, made and not due yet "
                     f"{max(len(roots) - 1 - rcancelled - len(rprom), 0)}")
        rreq = extra.get("root_requests", {})
        if "root_requests" in extra:  # sim.py's counts (not on disk)
            lines.insert(4, f"root CA requests (the sub's) {sum(rreq.values())}"
                         f" ({', '.join(f'{k} {v}' for k, v in sorted(rreq.items()))})")
        # Sub switches at a root's end: both tiers switch at that second.
        joint = sum(1 for g in rprom for p in props
                    if p[2] == times(roots[g])[0] and p[3] is not None)
        lines.insert(3, f"rollovers promoted: root {len(rprom)}, sub {sprom}"
                     f" (of them at a root's end {joint})")
        for k, r in enumerate(roots):
            a, b = times(r)
            root_info.append({"gen": k, "from": a, "to": b,
                              "served": root_seen[k]})
            lines.append(f"root {k}: day {(a - start) / 86400:7.1f} to"
                         f" {(b - start) / 86400:7.1f}, served from day"
                         f" {((root_seen[k] or a) - start) / 86400:.1f}")
        for k, c in enumerate(gens):
            a, b = times(c)
            r = root_of(c, roots)
            ri = next((i for i, x in enumerate(roots) if x is r), None)
            root_info.append({"sub": k, "from": a, "to": b,
                              "served": gen_seen[k], "root": ri})
            lines.append(f"sub {k}: day {(a - start) / 86400:7.1f} to"
                         f" {(b - start) / 86400:7.1f}, issued by root {ri},"
                         f" served from day {((gen_seen[k] or a) - start) / 86400:.1f}")
    if expected or extra.get("negative"):
        agree = set(gapped) == expected
        lines.append(f"negative control: checker predicts gaps for {sorted(expected)},"
                     f" simulation finds gaps for {sorted(gapped)}: "
                     + ("agree" if agree else "DISAGREE"))
    for day, what in extra.get("events", []):
        lines.append(f"event day {day:7.1f}: {what}")
    for name, day in sorted(extra.get("first_bad", {}).items())[:20]:
        lines.append(f"first invalid check: {name} at day {day:.1f}")
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"trustpoints": len(tps), "years": (end - start) / 86400 / 365,
                   "generations": len(gens), "identities": n_ids,
                   "requests": reqs, "gap_seconds": gap_total,
                   "gap_intervals": gap_n, "gapped": gapped,
                   "gap_by_tp": gap_by_tp,
                   "gap_seconds_off": gap_off,
                   "recovery_seconds": sum(recovery),
                   "recovery_max": max(recovery, default=0),
                   "expected": sorted(expected), "unsigned": unsigned,
                   "tiers": tiers, "tier_generations": root_info,
                   "root_requests": extra.get("root_requests", {}),
                   "rollovers": [{"gen": g, "served": a, "switch": s,
                                  "reached_all": l, "never": n}
                                 for g, a, s, l, n in props]}, f, indent=1)
    print("\n".join(lines))
    svg(out, start, end, gens, rows, [e for e in extra.get("events", [])])
    bad = gap_total or unsigned or not tps
    if expected or extra.get("negative"):
        bad = bad or set(gapped) != expected
    return 1 if bad else 0


def promoted(gens, gen_seen):
    """The chain of promoted generations (indexes): each starts where the
    previous one ends; of several that do (a rollover cancelled, then
    made again), the one served last is the one promoted.  And how many
    were cancelled."""
    chain, cancelled = [0] if gens else [], 0
    while chain:
        prev_end = times(gens[chain[-1]])[1]
        nxt = [k for k, c in enumerate(gens) if times(c)[0] == prev_end]
        if not nxt:
            break
        cancelled += len(nxt) - 1
        chain.append(max(nxt, key=lambda k: gen_seen[k] or 0))
    return chain, cancelled


def svg(out, start, end, gens, rows, events, width=900, top=46):
    shown = rows if len(rows) <= 200 else rows[::max(len(rows) // 200, 1)]
    row_h = 2 if len(shown) > 60 else 5
    h = top + len(shown) * row_h + 24
    span = max(end - start, 1)

    def x(t):
        return 10 + (min(max(t, start), end) - start) * (width - 20) / span

    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
              "#9c755f"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}"'
             f' viewBox="0 0 {width} {h}">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="10" y="12" font-size="11" font-family="sans-serif">'
             f'CA generations (top), one row per trustpoint'
             f'{" (every " + str(len(rows) // len(shown)) + "th)" if len(shown) < len(rows) else ""},'
             f' gaps in red, faults as grey lines; {(end - start) / 86400 / 365:.1f} years</text>']
    for i, g in enumerate(gens):
        a, b = times(g)
        parts.append(f'<rect x="{x(a):.1f}" y="{18 + (i % 2) * 7}" '
                     f'width="{max(x(b) - x(a), 1):.1f}" height="6" '
                     f'fill="{colors[i % len(colors)]}"><title>CA {i}</title></rect>')
    for day, what in events:
        xe = x(start + day * 86400)
        parts.append(f'<line x1="{xe:.1f}" y1="{top - 12}" x2="{xe:.1f}" y2="{h - 20}"'
                     f' stroke="#999" stroke-width="0.6"><title>{what}</title></line>')
    for r, (name, spans, gaps) in enumerate(shown):
        y = top + r * row_h
        for a, b, g in spans:
            parts.append(f'<rect x="{x(a):.1f}" y="{y}" width="{max(x(b) - x(a), 0.5):.1f}" '
                         f'height="{max(row_h - 1, 1)}" fill="{colors[g % len(colors)]}"/>')
        for a, b in gaps:
            parts.append(f'<rect x="{x(a):.1f}" y="{y}" width="{max(x(b) - x(a), 1.5):.1f}" '
                         f'height="{max(row_h, 2)}" fill="red"><title>{name} gap</title></rect>')
    for yr in range(0, int((end - start) / 86400 / 365) + 1):
        xe = x(start + yr * 365 * 86400)
        parts.append(f'<text x="{xe:.1f}" y="{h - 6}" font-size="9" '
                     f'font-family="sans-serif">{yr}y</text>')
    parts.append("</svg>")
    with open(os.path.join(out, "timeline.svg"), "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
