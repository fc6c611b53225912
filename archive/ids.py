"""Record identifiers: ULIDs (time-ordered, 26 Crockford base-32 characters, unique across archives).

A record keeps its id for ever, in every archive it is exported to, so ids must not collide
between an enterprise's archive and the bureau's: 48 bits of milliseconds + 80 random bits.
"""

from __future__ import annotations

import os
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def is_id(text: str) -> bool:
    return len(text) == 26 and all(c in CROCKFORD for c in text)
