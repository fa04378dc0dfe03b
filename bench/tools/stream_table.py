#!/usr/bin/env python3
"""stream_table.py RESULTS.jsonl: the Markdown table of bench/stream, ours beside nchan, and the issue-4 stream
targets checked: (a) and (b) 100% delivered with p99 no worse than nchan's; (c) <= 16 KB of RSS per client."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {(r["scenario"], r["target"]): r for r in rows}
mb = lambda kb: "–" if kb is None else f"{kb / 1024:.1f}"

print("| scenario | target | clients connected | events sent | delivered | p50 ms | p99 ms | max ms "
      "| RSS idle / connected / peak MB | RSS per client KB | load generator CPU (client procs; sender) |")
print("|" + "---|" * 11)
for r in rows:
    if "error" in r:
        print(f"| {r['scenario']} | {r['target']} | {r['error']} |" + " |" * 8)
        continue
    who = "nchan workers" if r["target"] == "nchan" else "sidecar"
    per_client = r["rss_per_client_kb"]
    # The sidecar's heap keeps what an earlier run grew to; only its first run at this size says what a client costs.
    grown = [q for q in rows[: rows.index(r)] if q.get("target") in ("sidecar", "nginx") and "error" not in q
             and q.get("connected", 0) >= r.get("connected", 0)]
    if r["target"] != "nchan" and grown:
        per_client = f"– (heap grown by {grown[0]['scenario']}/{grown[0]['target']})"
    conn = f"{r['connected']:,}/{r['clients']:,}" + (f" ({r['connect_errors']} failed)" if r["connect_errors"] else "")
    print(f"| {r['scenario']} | {r['target']} | {conn} | {r['sent']:,} | {100 * r['delivered_fraction']:.3f}% "
          f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} "
          f"| {who}: {mb(r['rss_idle_kb'])} / {mb(r['rss_connected_kb'])} / {mb(r['rss_peak_kb'])} "
          f"| {per_client} | {', '.join(f'{c:.2f}' for c in r['loadgen_cpu_per_client_proc'])}; "
          f"{r['loadgen_cpu_sender']:.2f} |")

print("\nTargets (issue 4, stream):")
for s in ("a", "b"):
    nchan = by.get((s, "nchan"))
    for t in ("nginx", "sidecar"):
        r = by.get((s, t))
        if not r or "error" in r:
            continue
        limit = nchan["p99_ms"] if nchan and "error" not in nchan else None
        ok = r["delivered_fraction"] == 1.0 and limit is not None and r["p99_ms"] <= limit
        print(f"- ({s}) {t}: delivered {100 * r['delivered_fraction']:.3f}% (100%), p99 {r['p99_ms']:.2f} ms "
              f"vs nchan {limit if limit is None else f'{limit:.2f}'} ms → **{'met' if ok else 'NOT met'}**")
for t in ("sidecar", "nginx"):
    r = by.get(("c", t))
    first_big = next((q for q in rows if q.get("scenario") == "c" and q.get("target") in ("sidecar", "nginx")), None)
    if r and r is first_big and "error" not in r and r["rss_per_client_kb"] is not None:
        ok = r["rss_per_client_kb"] <= 16 and r["connected"] == r["clients"]
        print(f"- (c) {t}: {r['rss_per_client_kb']:.1f} KB sidecar RSS per client at {r['connected']:,} clients "
              f"(≤ 16 KB), delivered {100 * r['delivered_fraction']:.3f}% → **{'met' if ok else 'NOT met'}**")
