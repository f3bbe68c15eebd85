#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-log-tags: daemon/LOGGING.md lists exactly the tags pkid emits.

Reads every C file under daemon/ and collects the (level, tag) pairs
written next to each other: in a pkid_log() call, pkid_log(LOG_INFO,
"CS_GRANT", ...), or in a struct pkid_tag initializer, {LOG_INFO,
"CS_GRANT"} (daemon/core/log.h).  Reads the tables of daemon/LOGGING.md
(rows starting with | `%PKI-N-TAG`).  Fails, naming each one, when a pair
is emitted but not documented or documented but not emitted.

It also keeps the source honest so that the pairs are all there is to
find: every pkid_log() names its tag as a literal (with a LOG_ level
before it), NULL (untagged chatter), or a struct pkid_tag's .tag; and no
daemon file but daemon/core/log.c writes to stderr or syslog itself.

usage: tags.py [REPO]   (default: the current directory)
"""
import os
import re
import sys

LEVELS = {"LOG_EMERG": 0, "LOG_ALERT": 1, "LOG_CRIT": 2, "LOG_ERR": 3,
          "LOG_WARNING": 4, "LOG_NOTICE": 5, "LOG_INFO": 6, "LOG_DEBUG": 7}
PAIR = re.compile(r'\b(LOG_[A-Z]+)\s*,\s*"([A-Z][A-Z0-9_]*)"')
CALL = re.compile(r'\bpkid_log\s*\(\s*([^,]+?)\s*,\s*([^,]+?)\s*,', re.S)
TAG_ARG = re.compile(r'^(NULL|"[A-Z][A-Z0-9_]*"|[A-Za-z_][\w.\->\[\]]*(\.|->)tag)$')
DIRECT = re.compile(r'\b(fprintf\s*\(\s*stderr|perror\s*\(|syslog\s*\(|'
                    r'fputs\s*\([^;]*stderr)')
DOC_ROW = re.compile(r'^\|\s*`%PKI-([0-7])-([A-Z][A-Z0-9_]*)`')
LOG_C = os.path.join("daemon", "core", "log.c")


def strip_comments(text):
    return re.sub(r'/\*.*?\*/|//[^\n]*', lambda m: re.sub(r'[^\n]', ' ', m.group(0)),
                  text, flags=re.S)


def scan_source(repo, problems):
    emitted = {}
    for root, _, files in os.walk(os.path.join(repo, "daemon")):
        for name in sorted(files):
            if not name.endswith(".c"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, repo)
            with open(path, encoding="utf-8") as f:
                text = strip_comments(f.read())
            for m in PAIR.finditer(text):
                if m.group(1) not in LEVELS:
                    problems.append(f"{rel}: unknown level {m.group(1)}")
                    continue
                key = (LEVELS[m.group(1)], m.group(2))
                emitted.setdefault(key, rel)
            if rel == LOG_C:
                continue
            for m in CALL.finditer(text):
                level, tag = m.group(1), m.group(2)
                line = text.count("\n", 0, m.start()) + 1
                if not TAG_ARG.match(tag):
                    problems.append(f"{rel}:{line}: pkid_log tag `{tag}` is "
                                    "neither a literal, NULL nor a pkid_tag")
                elif tag.startswith('"') and level not in LEVELS:
                    problems.append(f"{rel}:{line}: tag {tag} without a LOG_ "
                                    "level before it")
            for m in DIRECT.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: logs around pkid_log: "
                                f"`{m.group(1)}`")
    return emitted


def scan_doc(repo):
    documented = {}
    with open(os.path.join(repo, "daemon", "LOGGING.md"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = DOC_ROW.match(line)
            if m:
                documented.setdefault((int(m.group(1)), m.group(2)), n)
    return documented


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = []
    emitted = scan_source(repo, problems)
    documented = scan_doc(repo)
    for (level, tag), where in sorted(emitted.items()):
        if (level, tag) not in documented:
            problems.append(f"%PKI-{level}-{tag} ({where}) is not in "
                            "daemon/LOGGING.md")
    for (level, tag), line in sorted(documented.items()):
        if (level, tag) not in emitted:
            problems.append(f"daemon/LOGGING.md:{line}: %PKI-{level}-{tag} "
                            "is emitted nowhere")
    for p in problems:
        print("check-log-tags: " + p, file=sys.stderr)
    if problems:
        return 1
    print(f"check-log-tags: {len(emitted)} tags, emitted and documented alike")
    return 0


if __name__ == "__main__":
    sys.exit(main())
