#!/usr/bin/env python3
"""Renders one run of the reliability suite as a table: every row the manifest (tests/EndToEnd.Tests/Reliability/
figures.json) expects, in its order — what the suite set out to do against what an independent record says happened,
and which record — and every suite with its test outcome (from the run's TRX file). A row that was not recorded is
shown as missing; a suite that did not pass is shown as such. Exits 1 unless every suite passed and every expected
row was recorded and holds. Every number comes from the figures file; none is typed.

Usage: reliability_table.py --figures F --trx T --scale short|long --commit C [--dirty] [--out TABLE_MD]
                            [--publish DOC README]"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from publish_block import last_src_change, publish  # noqa: E402

COMPARE = {"=": lambda o, e: o == e, "<": lambda o, e: o < e, ">=": lambda o, e: o >= e}

args = argparse.ArgumentParser()
args.add_argument("--figures", required=True)
args.add_argument("--trx", required=True)
args.add_argument("--scale", required=True, choices=["short", "long"])
args.add_argument("--commit", required=True)
args.add_argument("--dirty", action="store_true", help="the tree had uncommitted changes (said in the stamp)")
args.add_argument("--manifest", default="tests/EndToEnd.Tests/Reliability/figures.json")
args.add_argument("--out", default="artifacts/reliability/table.md")
args.add_argument("--publish", nargs=2, metavar=("DOC", "README"))
a = args.parse_args()

manifest = json.load(open(a.manifest, encoding="utf-8"))
rows = manifest["rows"]
known = {r["id"] for r in rows}

recorded = {}
strays = []
if os.path.exists(a.figures):
    for line in open(a.figures, encoding="utf-8"):
        if not line.strip():
            continue
        figure = json.loads(line)
        if figure.get("Scale") != a.scale:
            continue
        if figure["Id"] not in known:
            strays.append(figure)
        recorded.setdefault(figure["Id"], []).append(figure)

# Each suite's outcome, from the test run's own report.
outcomes = {}
if os.path.exists(a.trx):
    ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
    for result in ET.parse(a.trx).getroot().iterfind(".//t:UnitTestResult", ns):
        outcomes[result.get("testName")] = result.get("outcome")


def outcome_of(suite):
    suffix = f".{suite['class']}.{suite['test']}"
    found = [o for name, o in outcomes.items() if name.endswith(suffix)]
    return found[0] if len(found) == 1 else ("not run" if not found else "run twice")


suites = [(s, outcome_of(s)) for s in manifest["suites"]]
failed_suites = [s for s, o in suites if o != "Passed"]


def verdict(row):
    """(measured text, holds text, ok) for a manifest row."""
    got = recorded.get(row["id"], [])
    if not got:
        return "—", "**missing** (not recorded)", False
    if len(got) > 1:
        return ", ".join(f"{f['Observed']:,}" for f in got), "**recorded twice**", False
    f = got[0]
    ok = COMPARE[row["compare"]](f["Observed"], f["Expected"])
    measured = f"{f['Observed']:,}" + (f" ({f['Detail']})" if f.get("Detail") else "")
    return measured, "yes" if ok else "**NO**", ok


table_rows = []
failures = 0
for row in rows:
    got = recorded.get(row["id"], [])
    expected = f"{row['compare']} {got[0]['Expected']:,}" if len(got) == 1 else "—"
    measured, holds, ok = verdict(row)
    failures += 0 if ok else 1
    table_rows.append((row, expected, measured, holds, ok))

cpu = "unknown CPU"
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo", encoding="utf-8") if l.startswith("model name"))
except (OSError, StopIteration):
    pass
memory = ""
try:
    kib = next(int(l.split()[1]) for l in open("/proc/meminfo", encoding="utf-8") if l.startswith("MemTotal"))
    memory = f", {kib / 1024 / 1024:.0f} GiB"
except (OSError, StopIteration):
    pass
dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
src = last_src_change(a.commit)
stamp = (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, **{a.scale}** run of commit `{a.commit}`"
         f"{' with uncommitted changes' if a.dirty else ''} (last change under src/: `{src}`), on {platform.system()} "
         f"{platform.machine()}, {os.cpu_count()} cores ({cpu}){memory}, .NET SDK {dotnet}")
passed = not failures and not failed_suites and not strays
verdict_line = ("every expected row was recorded and holds, every suite passed" if passed else
                f"**{failures} of {len(rows)} rows do not hold or are missing, {len(failed_suites)} of {len(suites)} suites did not pass"
                + (f", {len(strays)} rows recorded that the manifest does not know" if strays else "") + "**")

table = [f"Measured {stamp}: one run, every figure below from it (`{os.path.relpath(a.figures)}`); {verdict_line}.", "",
         "| suite (test) | outcome |", "|---|---|"]
table += [f"| {s['class']} ({s['test']}) | {'passed' if o == 'Passed' else f'**{o.lower()}**'} |" for s, o in suites]
table += ["", "| area | figure | expected | measured | counted from | holds |", "|---|---|---:|---:|---|---|"]
table += [f"| {r['area']} | {r['figure']} | {e} | {m} | {r['source']} | {h} |" for r, e, m, h, _ in table_rows]
table += [f"| (not in the manifest) | {f['Id']} | {f['Expected']:,} | {f['Observed']:,} | — | **unknown row** |" for f in strays]

areas = list(dict.fromkeys(r["area"] for r in rows))
summary = [f"From `scripts/reliability.sh`, {stamp}; {verdict_line} (docs/RELIABILITY.md).", "",
           "| suite | rows holding | measured |", "|---|---|---|"]
for area in areas:
    mine = [t for t in table_rows if t[0]["area"] == area]
    held = sum(1 for t in mine if t[4])
    parts = "; ".join(f"{r['figure']}: {m.split(' (')[0]}" for r, _, m, _, _ in mine)
    summary.append(f"| {area} | {held} of {len(mine)}{'' if held == len(mine) else ' **(not all)**'} | {parts} |")

os.makedirs(os.path.dirname(a.out), exist_ok=True)
open(a.out, "w", encoding="utf-8").write("\n".join(table) + "\n")
print("\n".join(table))
if a.publish:
    doc, readme = a.publish
    publish(doc, "figures", "\n".join(table))
    publish(readme, "reliability", "\n".join(summary))
sys.exit(0 if passed else 1)
