"""What every store module shares: the row type, new ids, trusted SQL literals, JSON envelopes.

Stored bodies are already JSON text, so lists and pages are put together as text around them
(``json_array``, ``page_json``) rather than parsed and dumped again.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable

from ..db import dumps

Row = sqlite3.Row


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4()}"


def sql_values(values: Iterable[str]) -> str:
    """Trusted words as a SQL literal list: ``'A', 'B'``."""
    return ", ".join(f"'{v}'" for v in values)


def json_array(bodies: Iterable[str]) -> str:
    return "[" + ",".join(bodies) + "]"


def page_json(bodies: Iterable[str], page: int, page_size: int, total: int) -> str:
    """The contract's pagination envelope around already-serialized items."""
    pages = -(-total // page_size) if total else 0
    pagination = {
        "page": page,
        "page_size": page_size,
        "total_count": total,
        "total_pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
    return '{"data":' + json_array(bodies) + ',"pagination":' + dumps(pagination) + "}"
