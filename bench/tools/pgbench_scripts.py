#!/usr/bin/env python3
"""pgbench_scripts.py ELPYFI_FCGI OUTDIR: one pgbench script per benchmarked endpoint, holding the endpoint's exact
SQL as the worker's endpoint table has it (`elpyfi-fcgi routes --format json`, so it never drifts), with the
parameters the worker binds for that request bound here as constants or pgbench `\\set` variables.

Under `pgbench -M prepared` a `:var` becomes a bind parameter, as in the worker; the NULLs of absent filters
are constants (pgbench cannot bind NULL), which lets the planner fold them: an upper bound, as a limit should be.
"""
import json
import re
import subprocess
import sys

# endpoint file name -> (the table's path, {$n: replacement}, \set lines)
ENDPOINTS = {
    "positions": ("/positions", {1: "NULL", 2: "NULL"}, []),
    "signals_recent": ("/signals/recent", {1: "NULL", 2: "NULL", 3: "NULL", 4: ":lim", 5: "NULL"}, ["\\set lim 50"]),
    "pdt_status": ("/pdt/status", {}, []),
}


def main() -> None:
    binary, outdir = sys.argv[1], sys.argv[2]
    table = json.loads(subprocess.run([binary, "routes", "--format", "json"], capture_output=True, text=True,
                                      check=True).stdout)
    sql_of = {entry["path"]: entry["sql"] for entry in table}
    for name, (path, params, sets) in ENDPOINTS.items():
        sql = sql_of[path]
        # $5 before $1 would not matter ($n is one digit here) but go high to low anyway.
        for n in sorted(params, reverse=True):
            sql = re.sub(rf"\${n}(?!\d)", params[n], sql)
        assert "$" not in sql, f"{name}: unbound parameter left in {sql}"
        # pgbench reads one SQL command per script, ending at `;`; newlines inside it are fine.
        script = "\n".join([f"-- {name}: {path} from `{binary} routes` (bench/tools/pgbench_scripts.py)"] + sets
                           + [sql + ";", ""])
        open(f"{outdir}/{name}.sql", "w", encoding="utf-8").write(script)
        print(f"{outdir}/{name}.sql")


if __name__ == "__main__":
    main()
