"""TOML parsing: the standard library's `tomllib`, or `tomli` (its source) on Python 3.10.

Imported only where a TOML file is read, so `import clientbridge` stays light.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TOMLDecodeError", "parse_toml"]

TOMLDecodeError = tomllib.TOMLDecodeError


def parse_toml(text: str) -> dict[str, Any]:
    """The document ``text`` holds; raises `TOMLDecodeError` when it is not TOML."""
    document: dict[str, Any] = tomllib.loads(text)
    return document
