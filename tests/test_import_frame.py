"""Files as tools write them: the header where it is, footers, a layout's own columns,
organisations in a name column, streets on several lines, and header refusals that
stay one line however wide the header."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from clientbridge.importer import ImportSetupError, open_source
from clientbridge.importer.api import import_file
from clientbridge.importer.reading.frame import find_header, is_footer_text
from clientbridge.importer.reading.values import organisation_rule

from .import_fakes import FakeRoostedHR, import_into, invoke, read_report, write_csv
from .test_import_exports import import_into_sandbox

PEOPLE = [
    ["First Name", "Last Name", "Email Address", "Postcode"],
    ["Ada", "Lovelace", "ada@example.com", "SW1A 1AA"],
    ["Alan", "Turing", "alan@example.com", "MK3 6EB"],
]


def rows_of(path: Path, **options: object) -> list[object]:
    with open_source(path, **options) as source:  # type: ignore[arg-type]
        return list(source.rows())


# -- headers where they are ---------------------------------------------------------


def test_a_title_and_blank_rows_above_the_header_are_skipped_and_said(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", [["Client list, March"], [], *PEOPLE])
    fake = FakeRoostedHR()
    code, report, output = import_into(path, fake)
    assert code == 0, output
    assert fake.created_emails() == ["ada@example.com", "alan@example.com"]
    assert [row["row"] for row in report] == ["4", "5"]  # rows are the file's lines
    assert "header on row 3" in output


def test_a_header_on_the_first_line_is_not_mentioned(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", PEOPLE)
    code, _, output = import_into(path, FakeRoostedHR())
    assert code == 0
    assert "header on row" not in output


def test_linkedin_notes_above_the_header_are_not_a_stray_quote(tmp_path: Path) -> None:
    notes = (
        "Notes:\n"
        '"When exporting your connection data, you may notice that some of the email '
        "addresses are missing. You will only see email addresses for connections who have "
        "allowed their connections to see or download their email address, see https://www."
        'linkedin.com/psettings/privacy/email"\n\n'
    )
    path = tmp_path / "Connections.csv"
    path.write_text(
        notes + "First Name,Last Name,Email Address,Company\n"
        "Ada,Lovelace,ada@example.com,Engines Ltd\n",
        encoding="utf-8",
    )
    [row] = rows_of(path)
    assert row.line == 5  # type: ignore[attr-defined]
    assert row.client.email == "ada@example.com"  # type: ignore[attr-defined]


def test_header_row_forces_the_header(tmp_path: Path) -> None:
    # the first line names known columns, but the real header is the second
    path = write_csv(
        tmp_path / "clients.csv",
        [["Email", "Phone"], ["First Name", "Last Name", "Email Address", "Postcode"], *PEOPLE[1:]],
    )
    [first, _] = rows_of(path, header_row=2)
    assert first.client.first_name == "Ada"  # type: ignore[attr-defined]
    fake = FakeRoostedHR()
    code, _, output = import_into(path, fake, "--header-row", "2")
    assert code == 0, output
    assert "header on row 2" in output
    with pytest.raises(ImportSetupError, match="no header on line 9"):
        rows_of(path, header_row=9)


def test_header_row_through_import_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", [["Our clients"], *PEOPLE])
    summary = import_file(path, "roostedhr", dry_run=True, header_row=2, api_key="k")
    assert summary.counts["valid"] == 2
    assert summary.read_notes is not None
    assert summary.read_notes.header_row == 2


def test_a_workbook_with_a_title_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Clients exported 2024-03-01"])
    sheet.append([])
    for row in PEOPLE:
        sheet.append(row)
    path = tmp_path / "clients.xlsx"
    workbook.save(path)
    rows = rows_of(path)
    assert [row.line for row in rows] == [4, 5]  # type: ignore[attr-defined]
    with open_source(path) as source:
        assert "header on row 3" in str(source.description)
    assert len(rows_of(path, header_row=3)) == 2
    with pytest.raises(ImportSetupError, match="no header on row 2"):
        rows_of(path, header_row=2)


def test_find_header_prefers_the_row_of_known_column_names() -> None:
    assert find_header([["Report"], [], ["Name", "Email"], ["Ada", "a@example.com"]]) == 2
    assert find_header([["Our clients"], ["Colour", "Shape"], ["red", "round"]]) == 1
    assert find_header([[], [""]]) is None
    # a data row that holds a known word does not take the place of an unknown header
    assert find_header([["Nom", "Prénom", "Téléphone"], ["Dupont", "", "Mobile"]]) == 0
    assert find_header([["Nom", "Prénom", "Genre"], ["Dupont", "Jean", "Mobile"]]) == 0
    # a header with a few known names among many unknown ones is still the header
    assert find_header([["Email", "A", "B", "C", "D"], ["Email", "Phone", "", "", ""]]) == 0


# -- footers ------------------------------------------------------------------------


SALESFORCE_FOOTER = [
    [""],
    ["Grand Totals (2 records)"],
    [""],
    ["Contacts & Accounts"],
    ["Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."],
    ["Confidential Information - Do Not Distribute"],
    ["Generated By:  Sam Owner  11/03/2024 09:00"],
    ["Harbour Lettings Ltd"],
]


def test_a_report_footer_is_listed_not_failed(tmp_path: Path) -> None:
    header = ["Contact ID", "First Name", "Last Name", "Account Name", "Email"]
    path = write_csv(
        tmp_path / "salesforce.csv",
        [
            header,
            ["003A", "Ada", "Lovelace", "Engines Ltd", "ada@example.com"],
            ["003B", "Alan", "Turing", "Bletchley", "alan@example.com"],
            *SALESFORCE_FOOTER,
        ],
    )
    fake = FakeRoostedHR()
    code, report, output = import_into(path, fake)
    assert code == 0, output
    assert [row["outcome"] for row in report] == ["created", "created"]
    assert (
        "Footer lines below the table, not clients: row 5: 'Grand Totals (2 records)'; "
        "row 7: 'Contacts & Accounts'; row 8: 'Copyright (c) 2000-2024 salesforce.com, inc. "
        "All rights reserved.'; and 3 more"
    ) in output
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run", "--json"])
    summary = json.loads(result.stdout)["imports"][0]
    assert summary["footer_lines"] == 6
    assert summary["footer"][0] == {"row": 5, "text": "Grand Totals (2 records)"}


def test_a_totals_row_is_a_footer_but_a_one_cell_client_is_not(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "clients.csv",
        [["Company", "Email"], ["Acme", "a@example.com"], ["Solo"], ["Total", "2"]],
    )
    rows = rows_of(path)
    assert [row.line for row in rows] == [2]  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "more.csv", [["Company", "Email"], ["Solo"], ["Acme", "a@x.com"]])
    assert [row.line for row in rows_of(path)] == [2, 3]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cells", "footer"),
    [
        (["Generated by Pipedrive on 2024-03-01"], True),
        (["Total", "", "", "42"], True),
        (["Copyright © 2024 Acme"], True),
        (["Totally Fine Ltd", "a@example.com"], False),
        (["Ada", "Lovelace", "ada@example.com"], False),
    ],
)
def test_footer_text(cells: list[str], footer: bool) -> None:
    assert is_footer_text(cells) is footer


# -- a layout's own columns ---------------------------------------------------------

ZOHO = [
    "Record Id",
    "Contact Owner.id",
    "Contact Owner",
    "First Name",
    "Last Name",
    "Email",
    "Mailing Zip",
    "Mailing Country",
    "Tag",
    "Number of Deals",
]


def test_a_zoho_export_with_owner_ids_and_deals_is_imported(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "zoho.csv",
        [
            ZOHO,
            [
                "z1",
                "4000001",
                "Sam",
                "Ada",
                "Lovelace",
                "ada@example.com",
                "SW1A 1AA",
                "UK",
                "",
                "2",
            ],
            ["z2", "4000001", "Sam", "Alan", "Turing", "alan@example.com", "MK3 6EB", "UK", "", ""],
        ],
    )
    fake = FakeRoostedHR()
    code, _, output = import_into(path, fake)
    assert code == 0, output
    assert fake.created_emails() == ["ada@example.com", "alan@example.com"]
    before, _, after = output.partition("Imported")
    assert "Not imported (Zoho CRM contacts export's own columns" in before
    assert "'Contact Owner.id' (2 values)" in before  # counted before anything is sent
    assert "'Contact Owner.id' (2 values)" in after
    assert "'Number of Deals' (1 value)" in after


def test_a_pipedrive_export_with_owner_and_deal_columns_is_imported(tmp_path: Path) -> None:
    header = [
        "Person - ID",
        "Person - Name",
        "Person - Owner",
        "Person - Owner ID",
        "Person - Email - Work",
        "Person - Open deals",
        "Person - Won deals",
        "Person - Marketing status",
        "Person - Next activity date",
    ]
    path = write_csv(
        tmp_path / "people.csv",
        [header, ["7", "Ada Lovelace", "Sam", "12", "ada@example.com", "1", "0", "subscribed", ""]],
    )
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run", "--json"])
    summary = json.loads(result.stdout)["imports"][0]
    assert summary["counts"]["valid"] == 1, result.output
    skipped = {column["column"]: column["values"] for column in summary["not_imported"]}
    assert skipped["Person - Owner ID"] == 1
    assert skipped["Person - Marketing status"] == 1
    assert skipped["Person - Next activity date"] == 0


def test_a_column_that_looks_like_client_data_still_stops_a_layout(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "zoho.csv",
        [[*ZOHO, "Mailing Flat"], ["z1", "", "", "A", "B", "a@x.com"] + [""] * 5],
    )
    with pytest.raises(ImportSetupError, match=r"unknown column: 'Mailing Flat'"):
        rows_of(path)


def test_ignore_unknown_columns_lists_what_it_ignored(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "clients.csv",
        [
            ["Company", "Email", "Favourite colour", "Address Zip"],
            ["Engines", "ada@example.com", "green", "SW1A 1AA"],
            ["Bletchley", "alan@example.com", "", ""],
        ],
    )
    code, _, output = import_into(path, FakeRoostedHR(), "--ignore-unknown-columns")
    assert code == 0, output
    before, _, _ = output.partition("Imported")
    assert (
        "Ignored (unknown columns): 'Favourite colour' (1 value), "
        "'Address Zip' (1 value; looks like address_postal_code)"
    ) in before
    assert (
        "'Address Zip' (1 value; looks like address_postal_code)" in output.partition("Imported")[2]
    )


def test_a_suggestion_names_the_field_the_header_is_about() -> None:
    from clientbridge.importer.reading.layout import HeaderLayout

    with pytest.raises(ImportSetupError) as caught:
        HeaderLayout.from_header(["Email", "Address Zip"], source_format=None)
    assert "'Address Zip' (did you mean address_postal_code?)" in str(caught.value)
    assert caught.value.columns == (
        {
            "position": 2,
            "header": "Address Zip",
            "problem": "unknown",
            "suggestion": "address_postal_code",
        },
    )


def test_ten_thousand_unknown_columns_make_one_line_and_json_data(tmp_path: Path) -> None:
    header = ["Email", *(f"Extra {n}" for n in range(10_000))]
    path = write_csv(tmp_path / "wide.csv", [header, ["a@example.com", *([""] * 10_000)]])
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run"])
    assert result.exit_code == 2
    [line] = [line for line in result.output.splitlines() if "unknown columns" in line]
    assert "and 9,980 more" in line
    assert len(result.output.splitlines()) < 6
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run", "--json"])
    error = json.loads(result.stdout)["error"]
    assert len(error["columns"]) == 10_000
    assert error["columns"][0] == {
        "position": 2,
        "header": "Extra 0",
        "problem": "unknown",
        "suggestion": None,
    }
    assert error["errors"][0]["field"] == "Extra 0"


def test_a_repeated_column_makes_one_line(tmp_path: Path) -> None:
    header = ["First Name", *(["Email"] * 5_000)]
    path = write_csv(tmp_path / "repeated.csv", [header, ["Ada", *(["a@example.com"] * 5_000)]])
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) < 6, lines[:10]
    assert any("column 'Email' appears 5,000 times" in line for line in lines)
    result = invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--dry-run", "--json"])
    columns = json.loads(result.stdout)["error"]["columns"]
    assert len(columns) == 5_000
    assert columns[0] == {
        "position": 2,
        "header": "Email",
        "problem": "duplicate",
        "field": "email",
    }


# -- people and organisations -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Harbour Lettings Ltd", "legal form 'Ltd'"),
        ("Fitch & Co", "'& Co' in the name"),
        ("Müller GmbH", "legal form 'GmbH'"),
        ("Acme Inc.", "legal form 'Inc.'"),
        ("Price Waterhouse LLP", "legal form 'LLP'"),
        ("Barclays plc", "legal form 'plc'"),
        ("Acme SA", "legal form 'SA'"),
        ("Maria Sa", None),
        ("Ada Lovelace", None),
        ("Siobhán O'Brien", None),
    ],
)
def test_organisation_rule(name: str, rule: str | None) -> None:
    assert organisation_rule(name) == rule


def test_a_name_column_holding_an_organisation_becomes_the_company(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "clients.csv",
        [
            ["Name", "Email", "Street", "Postcode"],
            [
                "Harbour Lettings Ltd",
                "lets@example.com",
                "Unit 4\nHarbour Yard\nQuay St",
                "BS1 4RN",
            ],
            ["Ada Lovelace", "ada@example.com", "1 St James's Sq", "SW1Y 4JU"],
        ],
    )
    firm, person = rows_of(path)
    assert firm.client.company_name == "Harbour Lettings Ltd"  # type: ignore[attr-defined]
    assert firm.client.first_name is None  # type: ignore[attr-defined]
    assert firm.client.last_name is None  # type: ignore[attr-defined]
    assert firm.notes == (  # type: ignore[attr-defined]
        "name 'Harbour Lettings Ltd' read as the company name, not a person's (legal form 'Ltd')",
    )
    address = firm.client.address  # type: ignore[attr-defined]
    assert (address.line1, address.line2, address.line3) == ("Unit 4", "Harbour Yard", "Quay St")
    assert (person.client.first_name, person.client.last_name) == ("Ada", "Lovelace")  # type: ignore[attr-defined]
    fake = FakeRoostedHR()
    report = tmp_path / "report.csv"
    invoke(["import", str(path), "-p", "roostedhr", "--sandbox", "--report", str(report)])
    rows = read_report(report)
    assert "read as the company name" in rows[0]["warnings"]
    del fake


def test_more_street_lines_than_three_are_kept_in_the_third(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "clients.csv",
        [["Email", "Street"], ["a@example.com", "Flat 1\nBlock B\nThe Yard\nHigh St"]],
    )
    [row] = rows_of(path)
    address = row.client.address  # type: ignore[attr-defined]
    assert (address.line1, address.line2, address.line3) == (
        "Flat 1",
        "Block B",
        "The Yard, High St",
    )


COMPANY_CARDS = """BEGIN:VCARD
VERSION:3.0
N:;;;;
FN:Harbour Lettings Ltd
ORG:Harbour Lettings Ltd;
EMAIL;type=INTERNET;type=WORK:lets@example.com
X-ABShowAs:COMPANY
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Quayside Studio
ORG:Quayside Studio
EMAIL:studio@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Lovelace;Ada;;;
FN:Ada Lovelace
ORG:Engines Ltd
EMAIL:ada@example.com
END:VCARD
"""


def test_a_company_vcard_is_a_company(tmp_path: Path) -> None:
    path = tmp_path / "cards.vcf"
    path.write_text(COMPANY_CARDS, encoding="utf-8")
    apple, no_name, person = rows_of(path)
    assert apple.client.company_name == "Harbour Lettings Ltd"  # type: ignore[attr-defined]
    assert apple.client.first_name is None  # type: ignore[attr-defined]
    assert "X-ABShowAs:COMPANY" in apple.notes[0]  # type: ignore[attr-defined]
    assert no_name.client.company_name == "Quayside Studio"  # type: ignore[attr-defined]
    assert no_name.client.last_name is None  # type: ignore[attr-defined]
    assert "ORG and no name" in no_name.notes[0]  # type: ignore[attr-defined]
    assert (person.client.first_name, person.client.company_name) == ("Ada", "Engines Ltd")  # type: ignore[attr-defined]


def test_sandbox_stores_the_organisation_as_the_company(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "clients.csv",
        [
            ["Name", "Email", "Phone"],
            ["Harbour Lettings Ltd", "lets@example.com", "+44 117 496 0123"],
        ],
    )
    output, code, sandbox = import_into_sandbox(path, "roostedhr", tmp_path / "report.csv")
    assert code == 0, output
    [record] = sandbox.records("roostedhr")
    assert "Harbour Lettings Ltd" in json.dumps(record)
    assert "Harbour" not in json.dumps({k: v for k, v in record.items() if "contact_name" in k})
