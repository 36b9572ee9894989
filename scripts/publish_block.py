#!/usr/bin/env python3
"""Replaces the text between <!-- NAME:start --> and <!-- NAME:end --> in FILE with the content of CONTENT_FILE.
Published figures are only ever written this way, by the script that measured them. The block's first line (its stamp)
names the commit measured; if it does not yet say which commit last changed src/ before it, that is added after the
measured commit, from git, so every published block says which code it measured (scripts/figures-status.sh reads it).
Usage: publish_block.py FILE NAME CONTENT_FILE"""
import re
import subprocess
import sys

STAMP_COMMIT = re.compile(r"commit `?([0-9a-f]{7,40})`?")
SRC_MARK = "last change under src/"


def last_src_change(commit):
    """The commit (12 hex digits) of the last change under src/ at or before COMMIT."""
    return subprocess.run(["git", "log", "-1", "--format=%h", "--abbrev=12", commit, "--", "src/"],
                          capture_output=True, text=True, check=True).stdout.strip()


def with_src_stamp(content):
    """CONTENT with its first line naming the last change under src/ before the commit it names."""
    first, _, rest = content.partition("\n")
    found = STAMP_COMMIT.search(first)
    if found is None or SRC_MARK in first:
        return content
    stamped = f"{first[:found.end()]} ({SRC_MARK}: `{last_src_change(found.group(1))}`){first[found.end():]}"
    return stamped + ("\n" + rest if rest else "")


def publish(path, name, content):
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    doc = open(path, encoding="utf-8").read()
    if start not in doc or end not in doc:
        sys.exit(f"{path} has no {start} … {end} block")
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    open(path, "w", encoding="utf-8").write(before + start + "\n" + with_src_stamp(content.strip("\n")) + "\n" + end + after)


if __name__ == "__main__":
    path, name, content_path = sys.argv[1], sys.argv[2], sys.argv[3]
    publish(path, name, open(content_path, encoding="utf-8").read())
