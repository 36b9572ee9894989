#!/usr/bin/env python3
"""Renders the reliability figures (JSON lines) as the table between the markers in docs/RELIABILITY.md."""
import json, platform, os, sys, datetime, subprocess

figures_path, doc_path, scale = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(line) for line in open(figures_path, encoding="utf-8") if line.strip()]
rows = [r for r in rows if r.get("Scale") == scale]
# A suite rerun replaces its earlier figures: keep the last value of each (area, name), in first-seen order.
latest, order = {}, []
for r in rows:
    key = (r["Area"], r["Name"])
    if key not in latest:
        order.append(key)
    latest[key] = r
rows = [latest[k] for k in order]

# Secrets are scanned in every suite: report the sum as one figure too.
secret_rows = [r for r in rows if r["Area"] == "secrets"]
total_secrets = sum(r["Value"] for r in secret_rows)

cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo", encoding="utf-8"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
cores = os.cpu_count()
dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()

lines = [
    f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, **{scale}** run, on {platform.system()} {platform.machine()}, {cores} cores ({cpu}), .NET SDK {dotnet}.",
    "",
    "| area | figure | measured | must be | holds |",
    "|---|---|---:|---|---|",
]
for r in rows:
    if r["Area"] == "secrets":
        continue
    lines.append(f"| {r['Area']} | {r['Name']} | {r['Value']:,} | {r['Target']} | {'yes' if r['Holds'] else '**NO**'} |")
lines.append(f"| secrets | token, webhook secrets or temporary passwords found in durable history, custom status, outputs, HTTP responses and host logs (all suites, {len(secret_rows)} scans) | {total_secrets} | 0 | {'yes' if total_secrets == 0 else '**NO**'} |")

doc = open(doc_path, encoding="utf-8").read()
start, end = "<!-- figures:start -->", "<!-- figures:end -->"
before, rest = doc.split(start, 1)
_, after = rest.split(end, 1)
open(doc_path, "w", encoding="utf-8").write(before + start + "\n" + "\n".join(lines) + "\n" + end + after)
