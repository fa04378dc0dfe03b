#!/usr/bin/env python3
"""cpu.py: where the CPU went during a bench run, from two snapshots of /proc/*/stat.

  cpu.py snap FILE                         cumulative CPU ticks of every process now
  cpu.py diff BEFORE AFTER SECONDS [--group NAME=PID[,PID...]]...
      prints JSON {group: cores used}: a process is in a group when its pid or its parent's pid is listed
      (so a master's pid covers its workers/backends); otherwise it counts as its command name when that is
      elpyfi-fcgi, elpyfi-stream, wrk or pgbench, and as "other" (the rest of the machine: noise) if not.
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")
NAMED = {"elpyfi-fcgi", "elpyfi-stream", "wrk", "pgbench"}


def snapshot() -> dict:
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[1] = ppid; fields[11], fields[12] = utime, stime (stat fields 14 and 15)
        procs[entry] = [comm, int(fields[1]), int(fields[11]) + int(fields[12])]
    return procs


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
                groups[int(pid)] = name
    used = {}
    for pid, (comm, ppid, ticks) in after.items():
        delta = ticks - before.get(pid, [comm, ppid, 0])[2]
        if delta <= 0:
            continue
        name = groups.get(int(pid)) or groups.get(ppid) or (comm if comm in NAMED else "other")
        used[name] = used.get(name, 0) + delta / TICK / seconds
    print(json.dumps({k: round(v, 2) for k, v in sorted(used.items())}))


if __name__ == "__main__":
    main()
