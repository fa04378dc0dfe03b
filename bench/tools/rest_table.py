#!/usr/bin/env python3
"""rest_table.py RESULTS.jsonl: the Markdown table of bench/rest, our figures beside the limits, plus the
issue-4 REST targets checked (at 64 connections: >= 0.8 x PostgreSQL alone, p99 <= 20 ms, zero non-2xx;
micro-cache >= 0.5 x nginx alone), and for those the ceiling a worker costing no CPU at all would reach."""
import json
import os
import sys

CORES = os.cpu_count() or 2

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {(r["kind"], r["endpoint"], r["conns"]): r for r in rows}
keys = []
for r in rows:
    k = (r["endpoint"], r["conns"])
    if k not in keys:
        keys.append(k)


def rps(kind, ep, c):
    r = by.get((kind, ep, c))
    return r["result"].get("rps") if r else None


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return None if not a or not b else a / b


PARTS = ("nginx", "workers", "postgres", "loadgen")


def per_request_us(row) -> str:
    """CPU each part spent per request of a run, in µs: its cores over the run / the run's req/s."""
    rate = row.get("result", {}).get("rps")
    cpu = row.get("cpu", {})
    if not rate:
        return "–"
    return " · ".join(f"{cpu.get(g, 0) / rate * 1e6:.0f}" for g in PARTS)


print("| endpoint | conns | ours req/s | pg alone req/s | nginx alone req/s | ours/pg | ours/nginx "
      "| p50 ms | p99 ms | max ms | non-2xx (+socket errors) | micro-cache req/s | cache/nginx | cache p99 ms "
      "| CPU cores during ours: nginx / workers / postgres / wrk / other (noise) "
      "| CPU µs per request: nginx · worker · PG · wrk | workers' peak RSS MB (sum of all) |")
print("|" + "---|" * 17)
checks = []
for ep, c in keys:
    ours = by.get(("ours", ep, c), {}).get("result", {})
    cached = by.get(("cached", ep, c), {}).get("result", {})
    pg_row = by.get(("pg", ep, c), {}).get("result", {})
    o, p, n, m = rps("ours", ep, c), rps("pg", ep, c), rps("nginx", ep, c), rps("cached", ep, c)
    pg_cell = fmt(p)
    if pg_row.get("clients") not in (None, c):
        pg_cell += f" ({pg_row['clients']} clients)"
    cpu = by.get(("ours", ep, c), {}).get("cpu", {})
    cpu_cell = " / ".join(f"{cpu.get(g, 0):.2f}" for g in ("nginx", "workers", "postgres", "loadgen", "other"))
    rss = by.get(("ours", ep, c), {}).get("workers_rss_peak_kb", 0) / 1024
    errs = sum(ours.get(k, 0) for k in ("connect_err", "read_err", "write_err", "timeouts"))
    non2xx = f"{ours.get('non2xx', '–')}" + (f" (+{errs})" if errs else "")
    print(f"| `{ep}` | {c} | {fmt(o)} | {pg_cell} | {fmt(n)} | {fmt(ratio(o, p), 2)} | {fmt(ratio(o, n), 2)} "
          f"| {fmt(ours.get('p50_ms'), 2)} | {fmt(ours.get('p99_ms'), 2)} | {fmt(ours.get('max_ms'), 1)} | {non2xx} "
          f"| {fmt(m)} | {fmt(ratio(m, n), 2)} | {fmt(cached.get('p99_ms'), 2)} | {cpu_cell} "
          f"| {per_request_us(by.get(('ours', ep, c), {}))} | {rss:.1f} |")
    if c == 64 and ep.split("?")[0] in ("/positions", "/signals/recent"):
        r = ratio(o, p)
        ok = r is not None and r >= 0.8 and ours.get("p99_ms", 1e9) <= 20 and ours.get("non2xx", 1) == 0 and not errs
        checks.append(f"- `{ep}` @64: ours/pg = {fmt(r, 2)} (target ≥ 0.8), p99 = {fmt(ours.get('p99_ms'), 2)} ms "
                      f"(≤ 20), non-2xx = {ours.get('non2xx')} (0) → **{'met' if ok else 'NOT met'}**")
        # The ceiling: what the rest of the path (nginx, PostgreSQL, wrk, on the same cores) would allow if the
        # worker cost nothing: cores / (their CPU-seconds per request).
        others = sum(cpu.get(g, 0) for g in ("nginx", "postgres", "loadgen"))
        if o and others and p:
            ceiling = CORES / (others / o)
            checks.append(f"  - ceiling with a worker that costs no CPU: {fmt(ceiling)} req/s = "
                          f"{fmt(ceiling / p, 2)} × pg alone (nginx + postgres + wrk use "
                          f"{fmt(others / o * 1e6, 0)} µs of CPU per request; workers {fmt(cpu.get('workers', 0) / o * 1e6, 0)} µs)")
    if c == 64 and m:
        r = ratio(m, n)
        checks.append(f"- micro-cache `{ep}` @64: cache/nginx = {fmt(r, 2)} (target ≥ 0.5) → "
                      f"**{'met' if r and r >= 0.5 else 'NOT met'}**")
if checks:
    print("\nTargets (issue 4, REST):")
    print("\n".join(checks))
