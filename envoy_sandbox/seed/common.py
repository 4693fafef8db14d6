"""What every seed generator shares: the random stream, random ids and the timestamp format.

All of a seed's rows are drawn from ``Rng`` streams seeded from the settings, in a fixed order,
so the same seed and anchor time give the same rows; ``rand_uuid`` draws an id from the stream
and ``iso`` formats the generated UTC times without strftime's cost.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


class Rng(random.Random):
    """``random.Random`` with cheaper integer and choice helpers (seeding makes millions)."""

    def ri(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]


def iso(value: datetime) -> str:
    """``db.iso`` for the UTC datetimes made here, without strftime's cost."""
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


def rand_uuid(rng: Rng) -> str:
    """A version-4 UUID from the seeded stream (``uuid.uuid4`` would not repeat)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
