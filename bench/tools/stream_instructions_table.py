#!/usr/bin/env python3
"""stream_instructions_table.py RESULTS.jsonl: bench/stream-instructions' lines as a Markdown table, per delivered frame.

Rows: user-space instructions (callgrind, load-independent), system calls by kind and context switches (perf
tracepoints, load-independent as long as each event goes out alone), and utime/stime (µs, load-dependent: context).
"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
sides = []
for r in rows:
    if r["side"] not in sides:
        sides.append(r["side"])
merged = {s: {} for s in sides}
for r in rows:
    merged[r["side"]].update(r)


def per_frame(r, value):
    return value / r["frames"] if value is not None else None


def figure(r, key):
    perf = r.get("perf", {})
    values = {
        "user instructions (callgrind)": r.get("ir"),
        "the 1 s timer's instructions (apart)": r.get("ir_timer"),
        "system calls": perf.get("raw_syscalls:sys_enter"),
        "write": perf.get("syscalls:sys_enter_write"),
        "writev": perf.get("syscalls:sys_enter_writev"),
        "sendmsg": perf.get("syscalls:sys_enter_sendmsg"),
        "sendto (send)": perf.get("syscalls:sys_enter_sendto"),
        "epoll_wait": perf.get("syscalls:sys_enter_epoll_wait"),
        "read": perf.get("syscalls:sys_enter_read"),
        "context switches": perf.get("context-switches"),
        "utime µs (load-dependent)": r["utime"] * 1e6 if "utime" in r else None,
        "stime µs (load-dependent)": r["stime"] * 1e6 if "stime" in r else None,
    }
    return per_frame(r, values[key])


keys = ["user instructions (callgrind)", "the 1 s timer's instructions (apart)", "system calls", "write", "writev", "sendmsg", "sendto (send)", "epoll_wait", "read",
        "context switches", "utime µs (load-dependent)", "stime µs (load-dependent)"]
first = merged[sides[0]]
print(f"{first['clients']} clients, {first['events']} events in lockstep ({first['frames']} frames), "
      f"{first['transport']}; per delivered frame:\n")
head = "| per frame | " + " | ".join(sides) + (" | this ÷ base |" if len(sides) == 2 else " |")
print(head)
print("|---" * (len(sides) + 1 + (len(sides) == 2)) + "|")
for key in keys:
    vals = [figure(merged[s], key) for s in sides]
    cells = ["–" if v is None else (f"{v:,.0f}" if "instructions" in key else f"{v:.3f}") for v in vals]
    ratio = ""
    if len(sides) == 2:
        ratio = " | " + (f"{vals[1] / vals[0]:.3f}" if vals[0] and vals[1] is not None else "–")
    print(f"| {key} | " + " | ".join(cells) + ratio + " |")
for s in sides:
    print(f"\n{s}: {merged[s]['bin']}")
