#!/usr/bin/env python3
"""Replaces the text between <!-- NAME:start --> and <!-- NAME:end --> in FILE with the content of CONTENT_FILE.
Published figures are only ever written this way, by the script that measured them."""
import sys

path, name, content_path = sys.argv[1], sys.argv[2], sys.argv[3]
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
doc = open(path, encoding="utf-8").read()
if start not in doc or end not in doc:
    sys.exit(f"{path} has no {start} … {end} block")
before, rest = doc.split(start, 1)
_, after = rest.split(end, 1)
content = open(content_path, encoding="utf-8").read().strip("\n")
open(path, "w", encoding="utf-8").write(before + start + "\n" + content + "\n" + end + after)
