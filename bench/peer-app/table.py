#!/usr/bin/env python3
"""table.py RESULTS.jsonl TARGET: bench/peer's Markdown table and the "≥ TARGET × in every round" verdict.

Each line of RESULTS is {"round", "endpoint", "side": "ours"|"peer", "conns", "cpu": {group: cores}, "result":
rest.lua's JSON}. A ratio is ours req/s over the peer's in the same round; a run with non-2xx answers or socket
errors counts as not met (a fast error is no answer). CPU per request = the group's cores over the run ÷ req/s.
"""
import json
import sys


def per_request(cpu: dict, group: str, rps: float) -> str:
    return f"{cpu.get(group, 0) / rps * 1e6:.0f}" if rps else "–"


def failures(result: dict) -> int:
    return sum(result.get(k, 0) for k in ("non2xx", "connect_err", "read_err", "write_err", "timeouts"))


def main() -> int:
    path, target = sys.argv[1], float(sys.argv[2])
    runs = {}
    for line in open(path):
        if line.strip():
            row = json.loads(line)
            runs[(row["round"], row["endpoint"], row["side"])] = row
    order = list(dict.fromkeys(ep for _, ep, _ in runs))  # endpoints in the order they ran
    keys = sorted({(r, ep) for r, ep, _ in runs}, key=lambda k: (k[0], order.index(k[1])))
    print("| round | endpoint | ours req/s (p99 ms) | peer req/s (p99 ms) | ratio | CPU µs/req ours: nginx · worker · PG"
          " | peer: app · PG | failed answers ours / peer | other cores ours / peer |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios, misses = {}, []
    for r, ep in keys:
        ours, peer = runs.get((r, ep, "ours")), runs.get((r, ep, "peer"))
        if not ours or not peer or "rps" not in ours["result"] or "rps" not in peer["result"]:
            print(f"| {r} | {ep} | missing run | | | | | | |")
            misses.append(f"round {r} {ep}: a run is missing")
            continue
        o, p = ours["result"], peer["result"]
        ratio = o["rps"] / p["rps"] if p["rps"] else float("inf")
        bad = failures(o) + failures(p)
        ratios.setdefault(ep, []).append(ratio)
        if ratio < target or bad:
            misses.append(f"round {r} {ep}: {ratio:.2f} ×" + (f", {bad} failed answers" if bad else ""))
        oc, pc = ours["cpu"], peer["cpu"]
        print(f"| {r} | {ep} | {o['rps']:,.0f} ({o['p99_ms']:.1f}) | {p['rps']:,.0f} ({p['p99_ms']:.1f}) | {ratio:.2f} × "
              f"| {per_request(oc, 'nginx', o['rps'])} · {per_request(oc, 'workers', o['rps'])} · {per_request(oc, 'postgres', o['rps'])} "
              f"| {per_request(pc, 'peer', p['rps'])} · {per_request(pc, 'postgres', p['rps'])} "
              f"| {failures(o)} / {failures(p)} | {oc.get('other', 0):.2f} / {pc.get('other', 0):.2f} |")
    print()
    for ep, values in ratios.items():
        print(f"- {ep}: ratio {min(values):.2f}–{max(values):.2f} × over {len(values)} rounds")
    verdict = "MET" if not misses and ratios else "NOT MET"
    print(f"\n**≥ {target:g} × in every round: {verdict}**" + ("" if not misses else " (" + "; ".join(misses) + ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
