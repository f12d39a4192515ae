"""How much one value, one row and one header may hold, for every reader.

CSV has a per-value limit (the csv module's field limit, 128 KiB); the other readers
apply the same one, so a longer value fails its row locally and is never sent. The
readers of compressed or folded formats (a workbook, vCards) also read with caps, so a
small hostile file cannot make them hold gigabytes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

__all__ = ["MAX_LINE", "MAX_VALUE", "long_document_value", "long_value_error"]

#: Characters one value may hold: CSV's field limit (128 KiB).
MAX_VALUE = csv.field_size_limit()
#: Bytes of one JSON Lines line read at most; a longer line fails unread.
MAX_LINE = 16 * MAX_VALUE


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


def long_document_value(document: object) -> str | None:
    """Why a JSON document fails when one of its texts is longer than `MAX_VALUE`, or
    None (its fields are named by their path, e.g. ``address.line1``)."""
    pending: list[tuple[str, object]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if len(value) > MAX_VALUE:
                return long_value_error([(path or "the line", value)])
        elif isinstance(value, dict):
            pending.extend(
                (f"{path}.{key}" if path else str(key), item) for key, item in value.items()
            )
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None
