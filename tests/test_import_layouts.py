"""Exports of shops, payment and mailing-list services and LinkedIn, imported with no mapping.

Each file under ``fixtures/exports`` is written from its vendor's documented columns
(cited in `clientbridge.importer.formats`: Shopify, Stripe, Mailchimp, LinkedIn), with
the vendor's own columns that hold no client data (marketing consent, totals, cards,
ratings), people and an organisation written as each tool writes them, and one bad row.
Each good row must be read with the right email, E.164 phone, postcode, country and
person/organisation split, and reach every provider's sandbox.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import phonenumbers
import pytest

from clientbridge.importer import open_source
from clientbridge.registry import providers

from .test_import_exports import EXPORTS, check_held, import_into_sandbox

#: email, phone (E.164), postcode, country, first name, last name, company
ZOE = ("zoe.bronte@example.co.uk", "+442079460101", "BD22 8DR", "GB", "Zoë", "Brontë")
JOSE = ("jose.nunez@example.com", "+14155550142", "94105", "US", "José", "Núñez")
SIOBHAN = ("siobhan@example.ie", "+441614960742", "M1 1AE", "GB", "Siobhán", "O'Brien")
HARBOUR = ("lettings@example.co.uk", "+441174960123", "BS1 4RN", "GB", None, None)

#: file → (how it is read, the good rows: person or organisation and their company)
FILES = {
    "shopify-customers.csv": (
        "Shopify customers export (detected",
        [
            (*ZOE, "Haworth Parsonage Ltd"),
            (*JOSE, "Núñez & Hijos"),
            (*HARBOUR, "Harbour Lettings Ltd"),
        ],
    ),
    "stripe-customers.csv": (
        "Stripe customers export (detected",
        [(*ZOE, None), (*JOSE, None), (*HARBOUR, "Harbour Lettings Ltd")],
    ),
    "mailchimp-audience.csv": (
        "Mailchimp audience export (detected",
        [(*ZOE, None), (*JOSE, None), (*SIOBHAN, None)],
    ),
    "linkedin-connections.csv": (
        "LinkedIn connections export (detected",
        [
            (ZOE[0], None, None, None, *ZOE[4:], "Haworth Parsonage Ltd"),
            (JOSE[0], None, None, None, *JOSE[4:], "Núñez & Hijos"),
            (SIOBHAN[0], None, None, None, *SIOBHAN[4:], "Ó Briain Consulting"),
        ],
    ),
}


def e164(phone: str | None) -> str | None:
    if phone is None:
        return None
    number = phonenumbers.parse(phone, None if phone.startswith("+") else "GB")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("name", list(FILES))
def test_each_layout_reads_its_export_with_no_mapping(name: str) -> None:
    read_as, expected = FILES[name]
    with open_source(EXPORTS / name) as source:
        assert source.description is not None
        assert source.description.startswith(read_as)
        assert source.notes.skipped, "the vendor's own columns are listed as not imported"
        assert all(column.reason == "layout" for column in source.notes.skipped)
        rows = list(source.rows())
    assert len(rows) == len(expected) + 1
    for row, (email, phone, postcode, country, first, last, company) in zip(
        rows, expected, strict=False
    ):
        client = row.client
        assert client is not None, row.error
        assert client.email == email
        assert e164(client.phone) == phone
        address = client.address
        assert (address.postal_code if address else None) == postcode
        assert (address.country if address else None) == country
        assert (client.first_name, client.last_name) == (first, last)
        assert client.company_name == company
    assert rows[-1].client is not None
    assert rows[-1].client.email == "not-an-email"  # refused by the model when sent


@pytest.mark.parametrize("provider", providers())
@pytest.mark.parametrize("name", list(FILES))
def test_each_layout_imports_into_every_provider_with_no_mapping(
    name: str, provider: str, tmp_path: Path
) -> None:
    read_as, expected = FILES[name]
    report = tmp_path / "report.csv"
    output, exit_code, sandbox = import_into_sandbox(EXPORTS / name, provider, report)
    assert f"read as {read_as}" in output, output
    assert "Not imported (" in output  # the vendor's own columns, listed with counts
    with report.open(encoding="utf-8") as handle:
        outcomes = list(csv.DictReader(handle))
    assert outcomes[-1]["outcome"] == "failed"
    assert "not a valid email address" in outcomes[-1]["error"]
    assert exit_code == 1
    stored = [json.dumps(record, ensure_ascii=False) for record in sandbox.records(provider)]
    for person, outcome in zip(expected, outcomes, strict=False):
        email, phone, postcode, _, first, _, company = person
        if first is None and outcome["outcome"] == "failed":
            # an organisation with no person: only a provider that needs one refuses it
            assert "first_name" in outcome["error"] or "last_name" in outcome["error"], outcome
            continue
        assert outcome["outcome"] == "created", outcome
        [record] = [text for text in stored if email in text]
        check_held(provider, record, outcome, (phone, postcode, company))


def test_the_older_shopify_layout_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "customers_export.csv"
    path.write_text(
        "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,"
        "Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,"
        "Tax Exempt\n"
        "José,Núñez,jose.nunez@example.com,Núñez & Hijos,350 Mission St,Suite 200,"
        "San Francisco,California,CA,United States,US,'94105,'+14155550142,no,0.00,0,,,no\n",
        encoding="utf-8",
    )
    with open_source(path) as source:
        assert str(source.description).startswith("Shopify customers export (detected")
        [row] = list(source.rows())
    client = row.client
    assert client is not None
    assert (client.email, client.phone, client.company_name) == (JOSE[0], JOSE[1], "Núñez & Hijos")
    assert client.address is not None
    assert (client.address.region, client.address.postal_code, client.address.country) == (
        "California",
        "94105",
        "US",
    )


def test_a_workbook_report_footer_is_listed_not_failed(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Contacts report"])
    sheet.append([])
    sheet.append(["First Name", "Last Name", "Email", "Mailing Zip/Postal Code", "Contact ID"])
    sheet.append(["Ada", "Lovelace", "ada@example.com", "SW1A 1AA", "003A"])
    sheet.append([])
    sheet.append(["Grand Totals (1 records)"])
    sheet.append(["Generated By: Sam Owner 11/03/2024 09:00"])
    path = tmp_path / "report.xlsx"
    workbook.save(path)
    with open_source(path) as source:
        rows = list(source.rows())
        assert [row.line for row in rows] == [4]
        assert source.notes.header_row == 3
        assert source.notes.footer == [
            (6, "Grand Totals (1 records)"),
            (7, "Generated By: Sam Owner 11/03/2024 09:00"),
        ]
