#!/usr/bin/python3
"""samples.py DIR: each samples/NAME.txt (IOS's format, as IOS documents
it) parses with templates/TEMPLATE.textfsm (NAME up to a '-') into the
records of NAME.json: every field named there, in every record, equal.
A template that did not know one of IOS's lines would fail here."""
import glob
import json
import os
import sys

import textfsm

from parse import parse

here = sys.argv[1]
bad = 0
for txt in sorted(glob.glob(os.path.join(here, "samples", "*.txt"))):
    name = os.path.basename(txt)[:-4]
    tpl = os.path.join(here, "templates", name.split("-")[0] + ".textfsm")
    want = json.load(open(txt[:-4] + ".json"))
    got = parse(tpl, txt)
    if len(got) != len(want):
        print(f"FAIL: {name}: {len(got)} records, want {len(want)}: {got}")
        bad += 1
        continue
    for i, (g, w) in enumerate(zip(got, want)):
        for k, v in w.items():
            if g.get(k) != v:
                print(f"FAIL: {name}[{i}].{k} = {g.get(k)!r}, want {v!r}")
                bad += 1
    print(f"ok: sample {name}: {len(got)} records")
# pkid's old views (before IOS's formats) are not IOS's: refused.
for txt in sorted(glob.glob(os.path.join(here, "samples", "bad", "*.txt"))):
    name = os.path.basename(txt)[:-4]
    tpl = os.path.join(here, "templates", name.split("-")[0] + ".textfsm")
    try:
        parse(tpl, txt)
        print(f"FAIL: {name}: a line IOS does not print was accepted")
        bad += 1
    except textfsm.TextFSMError:
        print(f"ok: sample {name} refused")
sys.exit(1 if bad else 0)
