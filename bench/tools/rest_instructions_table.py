#!/usr/bin/env python3
"""rest_instructions_table.py RESULTS.jsonl BIN...: bench/rest-instructions' table, per endpoint and side:
user-space instructions per request (callgrind) of the worker and of nginx, then context switches and system
calls per request from the native run (strace -c), and the change of each figure against side 1."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
bins = sys.argv[2:]
merged = {}
for r in rows:
    merged.setdefault((r["endpoint"], r["side"]), {}).update(r)

FIELDS = [("worker_ir", "worker instr."), ("nginx_ir", "nginx instr."), ("worker_cs", "worker ctx sw."),
          ("nginx_cs", "nginx ctx sw."), ("worker_syscalls", "worker syscalls"), ("nginx_syscalls", "nginx syscalls")]


def per_request(row, key):
    value = row.get(key)
    return None if value is None else value / row["requests"]


print("sides: " + " · ".join(f"side{i + 1} = `{b}`" for i, b in enumerate(bins)))
print()
print("| endpoint | side | " + " | ".join(f"{label} / request" for _, label in FIELDS) + " |")
print("|---|---|" + "---|" * len(FIELDS))
for endpoint in dict.fromkeys(r["endpoint"] for r in rows):
    base = merged.get((endpoint, "side1"), {})
    for side in dict.fromkeys(r["side"] for r in rows):
        row = merged.get((endpoint, side))
        if not row:
            continue
        cells = []
        for key, _ in FIELDS:
            value = per_request(row, key)
            if value is None:
                cells.append("–")
                continue
            cell = f"{value:,.0f}" if key.endswith("_ir") else f"{value:.2f}"
            before = per_request(base, key) if side != "side1" else None
            if before:
                cell += f" ({(value - before) / before * 100:+.0f} %)"
            cells.append(cell)
        print(f"| `{endpoint}` | {side} | " + " | ".join(cells) + " |")
