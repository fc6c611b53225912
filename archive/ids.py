"""Record identifiers: ULIDs (time-ordered, 26 Crockford base-32 characters, unique across archives).

A record keeps its id for ever, in every archive it is exported to, so ids must not collide
between an enterprise's archive and the bureau's: 48 bits of milliseconds + 80 random bits.
"""

from __future__ import annotations

import os

from archive.clock import SYSTEM, Clock

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(clock: Clock = SYSTEM) -> str:
    """A new ULID whose time part is ``clock``'s now (the archive passes its own)."""
    ms = int(clock.now().timestamp() * 1000)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def is_id(text: str) -> bool:
    return len(text) == 26 and all(c in CROCKFORD for c in text)
