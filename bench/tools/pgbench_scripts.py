#!/usr/bin/env python3
"""pgbench_scripts.py QUERIES_SWIFT OUTDIR: one pgbench script per benchmarked endpoint, holding the endpoint's
exact SQL as it stands in Sources/ElpyfiCore/Queries/Queries.swift (read from the file, so it never drifts),
with the parameters the worker binds for that request bound here as constants or pgbench `\\set` variables.

Under `pgbench -M prepared` a `:var` becomes a bind parameter, as in the worker; the NULLs of absent filters
are constants (pgbench cannot bind NULL), which lets the planner fold them: an upper bound, as a limit should be.
"""
import re
import sys

# endpoint file name -> (how to find the SQL, {$n: replacement}, \set lines)
ENDPOINTS = {
    "positions": ("elpyfi_positions", {1: "NULL", 2: "NULL"}, []),
    "signals_recent": ("signalsSQL", {1: "NULL", 2: "NULL", 3: "NULL", 4: ":lim", 5: "NULL"}, ["\\set lim 50"]),
    "pdt_status": ("elpyfi_pdt_status", {}, []),
}


def swift_multiline(text: str, start: int) -> str:
    """The value of the Swift `\"\"\"` literal that opens at or after `start` (closing-delimiter indent removed)."""
    open_at = text.index('"""', start) + 3
    close_at = text.index('"""', open_at)
    body = text[open_at:close_at]
    lines = body.split("\n")[1:]  # the opening delimiter's line ends the first line
    indent = len(lines[-1])       # the closing delimiter's indentation
    return "\n".join(line[indent:] for line in lines[:-1])


def extract(text: str, anchor: str) -> str:
    if anchor == "signalsSQL":
        sql = swift_multiline(text, text.index("func signalsSQL"))
        return sql.replace("\\(source)", "signals")  # /signals/recent: signalsSQL(from: "signals")
    return swift_multiline(text, text.index(f'name: "{anchor}"'))


def main() -> None:
    queries, outdir = sys.argv[1], sys.argv[2]
    text = open(queries, encoding="utf-8").read()
    for name, (anchor, params, sets) in ENDPOINTS.items():
        sql = extract(text, anchor)
        # $5 before $1 would not matter ($n is one digit here) but go high to low anyway.
        for n in sorted(params, reverse=True):
            sql = re.sub(rf"\${n}(?!\d)", params[n], sql)
        assert "$" not in sql, f"{name}: unbound parameter left in {sql}"
        # pgbench reads one SQL command per script, ending at `;`; newlines inside it are fine.
        script = "\n".join([f"-- {name}: copied by bench/tools/pgbench_scripts.py from {queries}"] + sets + [sql + ";", ""])
        open(f"{outdir}/{name}.sql", "w", encoding="utf-8").write(script)
        print(f"{outdir}/{name}.sql")


if __name__ == "__main__":
    main()
