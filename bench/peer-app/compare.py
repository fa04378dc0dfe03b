#!/usr/bin/env python3
"""compare.py OURS_URL PEER_URL KEY ENDPOINT...: the peer answers what we answer, so that the race is fair.

For each endpoint both must answer 200 with the same JSON values (numbers compared as decimals, so 182.50 and
182.5 differ only in text and 0.1 + 0.2 never passes for 0.3) and the same number of rows; the report also says
whether the bytes are identical. Without a key and with a wrong one both must give the same status and error code.
Prints one line per check; exits 1 on the first difference. Run with the data still (deploy/demo-events paused).
"""
import json
import sys
import urllib.error
import urllib.request
from decimal import Decimal


def get(url: str, key: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def values(body: bytes):
    return json.loads(body, parse_float=Decimal)


def rows(value) -> str:
    return f"{len(value)} rows" if isinstance(value, list) else "1 object"


def main() -> int:
    ours_url, peer_url, key, *endpoints = sys.argv[1:]
    for endpoint in endpoints:
        (ours_status, ours), (peer_status, peer) = get(ours_url + endpoint, key), get(peer_url + endpoint, key)
        if ours_status != 200 or peer_status != 200:
            print(f"DIFFERENT {endpoint}: status ours {ours_status}, peer {peer_status}: {peer[:200]!r}")
            return 1
        if values(ours) != values(peer):
            print(f"DIFFERENT {endpoint}: ours {ours[:300]!r}\n  peer {peer[:300]!r}")
            return 1
        text = "identical bytes" if ours == peer else f"same values, bytes differ ({len(ours)} vs {len(peer)})"
        print(f"same {endpoint}: {rows(values(ours))}, {text}")
    for label, wrong in (("no key", None), ("wrong key", "not-a-key")):
        (ours_status, ours), (peer_status, peer) = get(ours_url + endpoints[0], wrong), get(peer_url + endpoints[0], wrong)
        ours_code, peer_code = (json.loads(b or b"{}").get("error", {}).get("code") for b in (ours, peer))
        if (ours_status, ours_code) != (peer_status, peer_code):
            print(f"DIFFERENT {endpoints[0]} with {label}: ours {ours_status} {ours_code}, peer {peer_status} {peer_code}")
            return 1
        print(f"same {endpoints[0]} with {label}: {ours_status} {ours_code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
