#!/usr/bin/env python3
"""tools/sim/analyze.py OUTDIR: what sim.sh left, judged from the outside.

For every trustpoint, the identity certificates it exported (history/)
and the CA certificates the CA served (ca/) give the instants at which it
held an identity and a chain valid together: [max(notBefore of both),
min(notAfter of both)] for each identity and the CA that signed it
(checked by signature, as openssl verify would).  From its first
enrollment to the end of the run, every uncovered instant is a gap.
Writes OUTDIR/summary.txt and OUTDIR/timeline.svg (no fonts to fetch, no
scripts); exits 1 when there is a gap.
"""
import datetime
import glob
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding


BEGIN = b"-----BEGIN CERTIFICATE-----"


def load_pems(path):
    """Every certificate of a PEM file (Debian 12's cryptography 38 has no
    load_pem_x509_certificates)."""
    with open(path, "rb") as f:
        data = f.read()
    return [x509.load_pem_x509_certificate(BEGIN + part)
            for part in data.split(BEGIN)[1:]]


def utc_seconds(c, name):
    """not_valid_*_utc (cryptography >= 42), else the naive UTC one."""
    t = getattr(c, name + "_utc", None)
    if t is None:
        t = getattr(c, name).replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def times(c):
    return utc_seconds(c, "not_valid_before"), utc_seconds(c, "not_valid_after")


def signed_by(cert, ca):
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               padding.PKCS1v15(), cert.signature_hash_algorithm)
        return True
    except Exception:
        return False


def is_ca(c):
    try:
        return c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def main(out):
    start = int(open(os.path.join(out, "start")).read())
    end = int(open(os.path.join(out, "end")).read())
    cas = {}
    for f in glob.glob(os.path.join(out, "ca", "*.pem")):
        for c in load_pems(f):
            if is_ca(c):
                cas[c.fingerprint(c.signature_hash_algorithm)] = c
    gens = sorted(cas.values(), key=lambda c: times(c)[0])
    tps = {}
    for f in glob.glob(os.path.join(out, "history", "*.pem")):
        name = os.path.basename(f).split(".")[0]
        tps.setdefault(name, []).extend(load_pems(f))
    rows, gaps_total, gap_instants, unsigned = [], 0, 0, 0
    for name in sorted(tps):
        spans = []
        for c in tps[name]:
            ca = next((g for g in gens if signed_by(c, g)), None)
            if ca is None:
                unsigned += 1
                continue
            nb, na = times(c)
            cnb, cna = times(ca)
            spans.append((max(nb, cnb), min(na, cna), gens.index(ca)))
        spans.sort()
        first = min((s[0] for s in spans), default=end)
        covered, gaps = first, []
        for a, b, _ in spans:
            if a > covered:
                gaps.append((covered, min(a, end)))
            covered = max(covered, b)
            if covered >= end:
                break
        if covered < end:
            gaps.append((covered, end))
        gaps = [(a, b) for a, b in gaps if b > a]
        gaps_total += sum(b - a for a, b in gaps)
        gap_instants += len(gaps)
        rows.append((name, spans, gaps))
    n_ids = sum(len(v) for v in tps.values())
    grants = int(open(os.path.join(out, "grants")).read() or 0)
    rollovers = int(open(os.path.join(out, "rollovers")).read() or 0)
    renewals = n_ids - len(tps)
    lines = [
        f"trustpoints {len(tps)}, simulated {(end - start) / 86400 / 365:.1f} years",
        f"CA generations {len(gens)}, rollovers promoted {rollovers}",
        f"identities {n_ids} (renewals and SHADOW {renewals}), CA grants {grants}",
        f"CA requests per identity {grants / max(n_ids, 1):.3f}",
        f"gap intervals {gap_instants}, gap seconds {gaps_total}",
        f"identities signed by no CA seen {unsigned}",
    ]
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    svg(out, start, end, gens, rows)
    return 1 if gaps_total or unsigned or not tps else 0


def svg(out, start, end, gens, rows, width=1000, row_h=4, top=40):
    shown = rows[:250]
    h = top + len(shown) * row_h + 20
    span = max(end - start, 1)

    def x(t):
        return 10 + (min(max(t, start), end) - start) * (width - 20) / span

    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}">',
             '<rect width="100%" height="100%" fill="white"/>']
    for i, g in enumerate(gens):
        a, b = times(g)
        parts.append(f'<rect x="{x(a):.1f}" y="8" width="{max(x(b) - x(a), 1):.1f}" '
                     f'height="12" fill="{colors[i % len(colors)]}"><title>CA {i}</title></rect>')
    for r, (name, spans, gaps) in enumerate(shown):
        y = top + r * row_h
        for a, b, g in spans:
            parts.append(f'<rect x="{x(a):.1f}" y="{y}" width="{max(x(b) - x(a), 0.5):.1f}" '
                         f'height="{row_h - 1}" fill="{colors[g % len(colors)]}" opacity="0.7"/>')
        for a, b in gaps:
            parts.append(f'<rect x="{x(a):.1f}" y="{y}" width="{max(x(b) - x(a), 1):.1f}" '
                         f'height="{row_h - 1}" fill="red"><title>{name} gap</title></rect>')
    parts.append("</svg>")
    with open(os.path.join(out, "timeline.svg"), "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
