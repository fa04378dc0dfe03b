#!/usr/bin/env python3
"""cpu.py: where the CPU went during a bench run, from two snapshots of /proc/*/stat.

  cpu.py snap FILE                                       every process's CPU ticks now
  cpu.py diff BEFORE AFTER SECONDS --group NAME=PID[,PID...] ...
      prints JSON {group: cores used over SECONDS}. A group is its listed processes (their own time plus the
      time of children they have reaped: pgbench's backends after they exit, wrk after the shell reaps it) and
      their live children (nginx workers, postgres backends). Everything else is "other": the rest of the
      machine, i.e. the noise the run had to share the cores with.
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def snapshot() -> dict:
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        f = raw[raw.rindex(")") + 2 :].split()
        # f[1] ppid; f[11] utime, f[12] stime, f[13] cutime, f[14] cstime (stat fields 14-17)
        procs[entry] = [int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14])]
    return procs


def member(pid: int, ppid: int, groups: dict):
    """(group name, counts reaped children too) for a process in a group, else None."""
    if pid in groups:
        return groups[pid], True
    if ppid in groups:
        return groups[ppid], False
    return None


def group_totals(procs: dict, groups: dict) -> dict:
    out = {}
    for pid, (ppid, own, reaped) in procs.items():
        m = member(int(pid), ppid, groups)
        if m:
            out[m[0]] = out.get(m[0], 0) + own + (reaped if m[1] else 0)
    return out


def main() -> None:
    if sys.argv[1] == "snap":
        json.dump(snapshot(), open(sys.argv[2], "w"))
        return
    before, after = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
    seconds = float(sys.argv[4])
    groups = {}
    args = sys.argv[5:]
    for i, arg in enumerate(args):
        if arg == "--group":
            name, pids = args[i + 1].split("=", 1)
            for pid in filter(None, pids.split(",")):
                if pid != "0":
                    groups[int(pid)] = name
    b, a = group_totals(before, groups), group_totals(after, groups)
    used = {k: a.get(k, 0) - b.get(k, 0) for k in a}
    # "other": processes outside every group that were alive in both snapshots (noise on the same cores).
    used["other"] = sum(v[1] - before[p][1] for p, v in after.items()
                        if p in before and not member(int(p), v[0], groups))
    used = {k: max(0, v) / TICK / seconds for k, v in used.items()}
    print(json.dumps({k: round(v, 2) for k, v in sorted(used.items())}))


if __name__ == "__main__":
    main()
