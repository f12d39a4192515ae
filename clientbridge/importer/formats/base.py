"""`ExportFormat`: one vendor's documented export columns, as data.

Each column of a table names a *target*:

* a column of the generic vocabulary (``first_name``, ``company_name``,
  ``address_postal_code``, ``custom.<key>``, ``contact.<kind>``...);
* ``""``: a documented column that is not imported (a row checksum, an owner's name);
* ``<channel>*`` with channel ``email``, ``phone``, ``fax``, ``whatsapp`` or ``other``: one
  value of a channel. The first email becomes ``email`` and the first phone ``phone``; the
  others become ``contact_methods`` of their kind. ``<channel>*primary`` goes first;
  ``<channel>*label`` is the label of the value numbered alike (``Phone 2 - Label`` for
  ``Phone 2 - Value``): "Mobile", "Work Fax", "* Home" (a ``*`` marks Google's primary);
* ``address.<group>.<part>``: a part (``line1``, ``line2``, ``line3``, ``number``,
  ``city``, ``region``, ``postal_code``, ``country``, ``po_box``, ``formatted``,
  ``label``) of one of several addresses (``business``, ``home``...). The first address
  with a value is the client's address; the others are kept as custom fields.

Columns a vendor writes that hold no client data (an owner's id, deal counts, a
marketing status) are listed in ``not_client_data`` as patterns (``*`` matches any text,
case and spacing aside): an import lists them as "not imported", with how many values
each held, instead of refusing them as unknown.

A header may hold ``{n}`` (``E-mail {n} - Value``): it matches any number, and ``{n}`` in
the target is replaced by it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import attrs

__all__ = ["ExportFormat"]


@attrs.frozen
class ExportFormat:
    """A vendor's export layout: its documented columns and what each one fills."""

    #: the name ``--source-format`` takes, e.g. ``google-contacts``
    name: str
    #: for people: "Google Contacts CSV"
    title: str
    #: the vendor's help page on the export, checked to exist; None when no public
    #: page could be found (the columns are then unverified, and the docs say so)
    help_url: str | None
    #: documented header → target (see the module's documentation)
    columns: Mapping[str, str]
    #: headers only this layout writes: a file is read as this format when its header
    #: holds at least one of them (and more of its columns than another format's)
    identify: tuple[str, ...]
    #: the file kind the layout is found in (vCard properties are documented as columns)
    kind: str = "csv"
    #: patterns of the vendor's headers that hold no client data (``"Person - * deals"``)
    not_client_data: tuple[str, ...] = ()

    def patterns(self) -> list[tuple[re.Pattern[str], str]]:
        """Numbered headers as ``(pattern on the header key, target)``."""
        from clientbridge.importer.reading.vocabulary import header_key

        compiled = []
        for header, target in self.columns.items():
            if "{n}" in header:
                before, _, after = header.partition("{n}")
                pattern = re.escape(header_key(before)) + r"(\d+)" + re.escape(header_key(after))
                compiled.append((re.compile(pattern + r"\Z"), target))
        return compiled

    def holds_no_client_data(self, header: str) -> bool:
        """Whether ``header`` is one of the vendor's columns that hold no client data."""
        text = _plain(header)
        return any(pattern.fullmatch(text) for pattern in _compiled(self.not_client_data))


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(
        re.compile(".*".join(re.escape(part) for part in _plain(pattern).split("*")))
        for pattern in patterns
    )
