#!/usr/bin/python3
"""parse.py TEMPLATE FILE: the records TextFSM makes of FILE, as JSON.
Exits 1 (with the line) when a line is one the template does not know."""
import json
import sys

import textfsm


def parse(template, path):
    with open(template) as t, open(path) as f:
        fsm = textfsm.TextFSM(t)
        rows = fsm.ParseText(f.read())
    return [dict(zip(fsm.header, r)) for r in rows]


if __name__ == "__main__":
    try:
        print(json.dumps(parse(sys.argv[1], sys.argv[2]), indent=1))
    except textfsm.TextFSMError as e:
        sys.exit(f"{sys.argv[2]}: {e}")
