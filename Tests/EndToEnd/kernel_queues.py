"""What the kernel holds for the sidecar's TCP connections (`ss -tmn`), so that a test can wait until a client's
connection is stalled (the kernel takes no more bytes for it) instead of sleeping and hoping it is.

No tests here. Used by test_stream_slow_consumer.py, test_stream_stalled_reader.py and test_stream_resume.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

_SKMEM = re.compile(r"skmem:\(([^)]*)\)")


@dataclass(frozen=True)
class SendQueue:
    """One established connection of a local listening port, seen from that port's side."""

    peer: str
    queued: int  # wmem_queued: bytes the kernel holds to send (unsent + unacknowledged)
    limit: int  # the socket's send buffer: a write blocks (EAGAIN) once `queued` reaches it


def send_queues(port: int) -> list[SendQueue]:
    """The established connections whose local port is `port` (e.g. the sidecar's), with their send queues."""
    out = subprocess.run(["ss", "-tmnH", "state", "established", f"( sport = :{port} )"], capture_output=True,
                         text=True, check=True, timeout=10).stdout
    queues = []
    peer = None
    for line in out.splitlines():
        fields = line.split()
        if not line.startswith((" ", "\t")) and len(fields) >= 4:
            peer = fields[3]
            continue
        match = _SKMEM.search(line)
        if match and peer is not None:
            mem = {m[0]: int(m[1]) for m in re.findall(r"([a-z]+)(\d+)", match.group(1))}
            queues.append(SendQueue(peer, mem.get("w", 0), mem.get("tb", 0)))
            peer = None
    return queues


def sidecar_port() -> int:
    """The test stack's sidecar port (ELPYFI_STREAM_LISTEN)."""
    return int(os.environ["ELPYFI_STREAM_LISTEN"].rsplit(":", 1)[1])


def held(port: int) -> dict[str, tuple[int, int]]:
    """{peer: (bytes the kernel holds to send, send buffer)} of the connections of `port` that hold any."""
    return {q.peer: (q.queued, q.limit) for q in send_queues(port) if q.queued > 0}
