#!/usr/bin/env python3
"""microcache_check.py BASE_URL KEY: the micro-cache's promises, checked on a running cached nginx:
a second GET with the key is a HIT; the same URL with a wrong or no key is never served from the cache
(403/401 from the worker); error answers are not stored (the next one is still a MISS)."""
import sys
import urllib.error
import urllib.request

base, key = sys.argv[1], sys.argv[2]


def get(path, api_key):
    req = urllib.request.Request(base + path, headers={"X-API-Key": api_key} if api_key is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers.get("X-Cache-Status")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("X-Cache-Status")


path = "/strategies?bench_check=1"
results = [
    ("first GET with the key", get(path, key), lambda s, c: s == 200 and c in ("MISS", "EXPIRED")),
    ("second GET with the key", get(path, key), lambda s, c: s == 200 and c == "HIT"),
    ("same URL, wrong key", get(path, key + "x"), lambda s, c: s == 403 and c != "HIT"),
    ("same URL, wrong key again", get(path, key + "x"), lambda s, c: s == 403 and c != "HIT"),
    ("same URL, no key", get(path, None), lambda s, c: s == 401 and c != "HIT"),
]
failed = 0
for name, (status, cache), ok in results:
    good = ok(status, cache)
    failed += not good
    print(f"  {'ok  ' if good else 'FAIL'} {name}: {status}, X-Cache-Status: {cache}")
sys.exit(1 if failed else 0)
