"""Column mappings given by the caller: ``HEADER=FIELD`` items (the CLI's ``--map``) and
mapping files (JSON, TOML or ``HEADER=FIELD`` lines)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from clientbridge.importer.errors import ImportSetupError

__all__ = ["parse_mapping_option", "read_mapping_file", "split_pairs"]


def split_pairs(
    values: Iterable[str], refuse: Callable[[str], Exception]
) -> Iterator[tuple[str, str]]:
    """``KEY=VALUE`` items as stripped ``(key, value)`` pairs (the value may be empty).

    An item without ``=`` or without a key raises what ``refuse(item)`` returns: the
    caller words the message (and decides whether the item may be quoted back).
    """
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise refuse(item)
        yield key.strip(), value.strip()


def parse_mapping_option(values: Iterable[str]) -> dict[str, str]:
    """``["Given name=first_name", "Notes="]`` → ``{"Given name": "first_name", "Notes": ""}``."""
    return dict(split_pairs(values, _refuse_mapping))


def _refuse_mapping(item: str) -> ImportSetupError:
    return ImportSetupError(
        f'--map {item!r}: write it as "HEADER=FIELD" (e.g. "Given name=first_name"), '
        'or "HEADER=" to ignore a column'
    )


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """A column mapping from a file: a JSON object, a TOML table (optionally under
    ``[columns]``), or lines of ``HEADER=FIELD`` (``#`` starts a comment)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportSetupError(f"cannot read the mapping file {file}: {error}") from None
    except UnicodeDecodeError:
        raise ImportSetupError(f"the mapping file {file} is not UTF-8 text") from None
    document: object
    if file.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid JSON: {error}") from None
    elif file.suffix.lower() == ".toml":
        from clientbridge._toml import TOMLDecodeError, parse_toml

        try:
            document = parse_toml(text)
        except TOMLDecodeError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid TOML: {error}") from None
        if isinstance(document, dict) and isinstance(document.get("columns"), dict):
            document = document["columns"]
    else:
        lines = [line.strip() for line in text.splitlines()]
        return parse_mapping_option(line for line in lines if line and not line.startswith("#"))
    if not isinstance(document, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in document.items()
    ):
        raise ImportSetupError(
            f"the mapping file {file} must map each header to a field name, e.g. "
            '{"Given name": "first_name"}'
        )
    return dict(document)
