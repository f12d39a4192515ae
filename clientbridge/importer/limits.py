"""How much one value, one row and one header may hold, for every reader.

CSV has a per-value limit (the csv module's field limit, 128 KiB); the other readers
apply the same one, so a longer value fails its row locally and is never sent. The
readers of compressed or folded formats (a workbook, vCards) also read with caps, so a
small hostile file cannot make them hold gigabytes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

__all__ = ["MAX_VALUE", "long_value_error"]

#: Characters one value may hold: CSV's field limit (128 KiB).
MAX_VALUE = csv.field_size_limit()


def long_value_error(values: Iterable[tuple[str, str]]) -> str | None:
    """Why a row fails when one of its ``(name, value)`` pairs is longer than
    `MAX_VALUE`, or None."""
    for name, value in values:
        if len(value) > MAX_VALUE:
            return (
                f"{name} holds a value longer than {MAX_VALUE // 1024} KiB (the most a value "
                "may hold); the row was not sent"
            )
    return None
