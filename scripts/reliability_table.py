#!/usr/bin/env python3
"""Renders one run's reliability figures (JSON lines) as the table in docs/RELIABILITY.md and the summary in README.md,
stamped with the commit, the date and the machine. Every number comes from the figures file; none is typed."""
import json, platform, os, sys, datetime, subprocess

figures_path, doc_path, readme_path, scale, commit = sys.argv[1:6]
rows = [json.loads(line) for line in open(figures_path, encoding="utf-8") if line.strip()]
rows = [r for r in rows if r.get("Scale") == scale]
if not rows:
    sys.exit(f"no {scale} figures in {figures_path}: nothing to publish")

secret_rows = [r for r in rows if r["Area"] == "secrets"]
total_secrets = sum(r["Value"] for r in secret_rows)

cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo", encoding="utf-8"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
memory = ""
try:
    for line in open("/proc/meminfo", encoding="utf-8"):
        if line.startswith("MemTotal"):
            memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"; break
except OSError:
    pass
dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
stamp = (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, **{scale}** run of commit `{commit}`, "
         f"on {platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){memory}, .NET SDK {dotnet}")
holds_all = all(r["Holds"] for r in rows) and total_secrets == 0

def fmt(v):
    return f"{v:,}"

table = [f"Measured {stamp}: one run, every figure below from it (`{os.path.relpath(figures_path)}`).", "",
         "| area | figure | measured | must be | holds |", "|---|---|---:|---|---|"]
for r in rows:
    if r["Area"] == "secrets":
        continue
    table.append(f"| {r['Area']} | {r['Name']} | {fmt(r['Value'])} | {r['Target']} | {'yes' if r['Holds'] else '**NO**'} |")
table.append(f"| secrets | token, webhook secret or temporary passwords found — decoded as a leak would carry them — in durable history, custom status, outputs, HTTP responses and host logs (all suites, {len(secret_rows)} scans) | {total_secrets} | 0 | {'yes' if total_secrets == 0 else '**NO**'} |")

# The README: one line per area, in the run's order, with every figure of that area.
areas = []
for r in rows:
    if r["Area"] != "secrets" and r["Area"] not in areas:
        areas.append(r["Area"])
summary = [f"From `scripts/reliability.sh`, {stamp}; {'every figure holds' if holds_all else '**not every figure holds**'} (docs/RELIABILITY.md).", "",
           "| suite | measured |", "|---|---|"]
for area in areas:
    parts = [f"{r['Name']}: {fmt(r['Value'])}" for r in rows if r["Area"] == area]
    summary.append(f"| {area} | {'; '.join(parts)} |")
summary.append(f"| secrets | found in {len(secret_rows)} scans: {total_secrets} |")

def publish(path, name, lines):
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    doc = open(path, encoding="utf-8").read()
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    open(path, "w", encoding="utf-8").write(before + start + "\n" + "\n".join(lines) + "\n" + end + after)

publish(doc_path, "figures", table)
publish(readme_path, "reliability", summary)
