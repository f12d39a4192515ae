"""Real export files (CRMs, address books, accounting, Excel, vCard) imported with no mapping.

Each file under ``fixtures/exports`` is written from its vendor's documented columns
(see `clientbridge.importer.formats`): three people with accents and blanks, and one
bad row. Each is imported end to end into every provider's sandbox.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from clientbridge.cli import CliContext, cli
from clientbridge.docgen import sent_fields
from clientbridge.registry import adapter_class, providers
from clientbridge.sandbox import Sandbox

EXPORTS = Path(__file__).parent / "fixtures" / "exports"

#: email, phone in E.164, postcode, company: what each good row must reach the provider as
PEOPLE = [
    ("zoe.bronte@example.co.uk", "+447911123456", "BD22 8DR", "Haworth Parsonage Ltd"),
    ("jose.nunez@example.com", "+442079460018", "SW1A 2AA", "Núñez & Hijos"),
    ("siobhan@example.ie", "+441614960742", "M1 1AE", "Ó Briain Consulting"),
]
NO_COMPANY = [(email, phone, postcode, None) for email, phone, postcode, _ in PEOPLE]

#: file → (how the summary says it was read, the people in it, whether a bad row follows)
FILES = {
    "hubspot-contacts.csv": ("HubSpot contacts export (detected", PEOPLE, True),
    "salesforce-report.csv": ("Salesforce report export (detected", PEOPLE, True),
    # a Data Loader extract names the account by its id only
    "salesforce-data-loader.csv": ("Salesforce Data Loader extract", NO_COMPANY, True),
    "pipedrive-people.csv": ("Pipedrive people export (detected", PEOPLE, True),
    "zoho-crm-contacts.csv": ("Zoho CRM contacts export (detected", PEOPLE, True),
    "dynamics-365-contacts.csv": ("Dynamics 365 contacts export (detected", PEOPLE, True),
    "dynamics-365-contacts.xlsx": ("Dynamics 365 contacts export (detected", PEOPLE, True),
    "google-contacts.csv": ("Google Contacts CSV (detected", PEOPLE, True),
    "google-contacts-legacy.csv": ("Google Contacts CSV (legacy layout) (detected", PEOPLE, True),
    "outlook-contacts.csv": (
        "Outlook contacts CSV (detected from the header), Windows-1252",
        PEOPLE,
        True,
    ),
    "xero-contacts.csv": ("Xero contacts export (detected", PEOPLE, True),
    "quickbooks-customers.csv": ("QuickBooks Online customers export (detected", PEOPLE, True),
    "apple-contacts.vcf": ("vCard 3.0 by Apple", PEOPLE, True),
    "contacts-v4.vcf": ("vCard 4.0", PEOPLE[:2], False),
}
QUIET = ("--progress", "none")
#: what each expected value is, as the report names a field the provider did not take
DROPPED_AS = {1: "phone", 2: "address", 3: "company_name"}


def import_into_sandbox(path: Path, provider: str, report: Path) -> tuple[str, int, Sandbox]:
    sandbox = Sandbox()
    context = CliContext(
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous)
    )
    result = CliRunner().invoke(
        cli,
        ["import", str(path), "--provider", provider, "--sandbox", "--report", str(report), *QUIET],
        obj=context,
    )
    return result.output, result.exit_code, sandbox


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("name", list(FILES))
def test_each_export_imports_into_every_provider_with_no_mapping(
    name: str, provider: str, tmp_path: Path
) -> None:
    read_as, people, has_bad_row = FILES[name]
    report = tmp_path / "report.csv"
    output, exit_code, sandbox = import_into_sandbox(EXPORTS / name, provider, report)
    assert f"read as {read_as}" in output, output
    with report.open(encoding="utf-8") as handle:
        outcomes = list(csv.DictReader(handle))
    assert [row["outcome"] for row in outcomes] == ["created"] * len(people) + (
        ["failed"] if has_bad_row else []
    ), output
    assert exit_code == (1 if has_bad_row else 0)
    if has_bad_row:
        assert "not a valid email address" in outcomes[-1]["error"]
    stored = [json.dumps(record, ensure_ascii=False) for record in sandbox.records(provider)]
    assert len(stored) == len(people)
    for person, outcome in zip(people, outcomes, strict=False):
        [record] = [text for text in stored if person[0] in text]
        check_held(provider, record, outcome, person[1:])


def check_held(
    provider: str, record: str, outcome: dict[str, str], values: Sequence[str | None]
) -> None:
    """Nothing of ``values`` (phone, postcode, company; None: not expected) the provider can
    hold is lost from its ``record``, and what it cannot hold is reported in ``outcome``."""
    sent = sent_fields(adapter_class(provider))
    for index, value in enumerate(values, start=1):
        if value is None:
            continue
        field = DROPPED_AS[index]
        held = value in record
        said_dropped = f"{field} is not supported" in outcome["warnings"]
        assert held or said_dropped, (field, value, record)
        if field in sent and field != "company_name":
            assert held, (field, value, record)
