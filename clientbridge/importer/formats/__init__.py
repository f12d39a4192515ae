"""Known export layouts: CRMs, accounting products and address books, as data.

Each module holds one vendor's documented export columns (with the vendor's help page)
as an `ExportFormat`; `detect` picks the layout a header row is written in, and
`format_named` the one a user names. The generic vocabulary (``First Name``, ``Email``,
``Postcode``...) still reads any column a layout does not list.
"""

from __future__ import annotations

from collections.abc import Sequence

from clientbridge.importer.formats.base import ExportFormat
from clientbridge.importer.formats.dynamics import DYNAMICS_365
from clientbridge.importer.formats.google import GOOGLE_CONTACTS, GOOGLE_CONTACTS_LEGACY
from clientbridge.importer.formats.hubspot import HUBSPOT
from clientbridge.importer.formats.linkedin import LINKEDIN
from clientbridge.importer.formats.mailchimp import MAILCHIMP
from clientbridge.importer.formats.outlook import OUTLOOK
from clientbridge.importer.formats.pipedrive import PIPEDRIVE
from clientbridge.importer.formats.quickbooks import QUICKBOOKS
from clientbridge.importer.formats.salesforce import SALESFORCE_DATA_LOADER, SALESFORCE_REPORT
from clientbridge.importer.formats.shopify import SHOPIFY
from clientbridge.importer.formats.stripe import STRIPE
from clientbridge.importer.formats.vcard import VCARD
from clientbridge.importer.formats.xero import XERO
from clientbridge.importer.formats.zoho import ZOHO_CRM

__all__ = ["FORMATS", "ExportFormat", "detect", "format_named", "format_names"]

#: Every known layout, in documentation order.
FORMATS: tuple[ExportFormat, ...] = (
    HUBSPOT,
    SALESFORCE_REPORT,
    SALESFORCE_DATA_LOADER,
    PIPEDRIVE,
    ZOHO_CRM,
    DYNAMICS_365,
    GOOGLE_CONTACTS,
    GOOGLE_CONTACTS_LEGACY,
    OUTLOOK,
    XERO,
    QUICKBOOKS,
    SHOPIFY,
    STRIPE,
    MAILCHIMP,
    LINKEDIN,
    VCARD,
)
#: The generic vocabulary's name, for forcing it (no vendor layout).
GENERIC = "generic"


def format_names(kind: str | None = None) -> list[str]:
    """The names layouts are forced by (``kind`` "csv" leaves out the vCard one)."""
    return [fmt.name for fmt in FORMATS if kind is None or fmt.kind == kind]


def format_named(name: str) -> ExportFormat | None:
    """The layout called ``name`` (None for ``generic``); raises ValueError when unknown."""
    wanted = name.strip().lower()
    if wanted == GENERIC:
        return None
    for fmt in FORMATS:
        if fmt.name == wanted:
            return fmt
    raise ValueError(
        f"unknown source format {name!r}; use one of {', '.join([GENERIC, *format_names()])}"
    )


def detect(headers: Sequence[str]) -> ExportFormat | None:
    """The layout ``headers`` are written in, or None when none is recognised.

    A layout is a candidate when the header holds one of its `identify` columns; the
    candidate that reads the most columns wins (the earlier one on a tie).
    """
    from clientbridge.importer.reading.vocabulary import header_key

    keys = {header_key(header) for header in headers}
    best: ExportFormat | None = None
    best_score = 0
    for fmt in FORMATS:
        if fmt.kind != "csv" or not any(header_key(name) in keys for name in fmt.identify):
            continue
        known = {header_key(name) for name in fmt.columns if "{n}" not in name}
        patterns = fmt.patterns()
        score = sum(
            1 for key in keys if key in known or any(pattern.match(key) for pattern, _ in patterns)
        )
        if score > best_score:
            best, best_score = fmt, score
    return best
