"""Export layouts, header suggestions, encodings, workbooks, vCards and values."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import clientbridge as cb
from clientbridge.cli import CliContext, cli
from clientbridge.importer import ImportSetupError, open_source
from clientbridge.importer.formats import FORMATS, detect, format_named
from clientbridge.importer.reading.layout import HeaderLayout
from clientbridge.importer.reading.xlsx import cell_text
from clientbridge.model import ContactKind
from clientbridge.sandbox import Sandbox

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def rows_of(path: Path, **options: object) -> list:
    with open_source(path, **options) as source:  # type: ignore[arg-type]
        return list(source.rows())


def layout(headers: list[str], *mapping: dict[str, str], **options: object) -> HeaderLayout:
    return HeaderLayout.from_header(headers, *mapping, **options)  # type: ignore[arg-type]


# ------------------------------------------------------------------ layouts


def test_every_layout_is_detected_from_its_own_documented_header() -> None:
    for fmt in FORMATS:
        if fmt.kind != "csv":
            continue
        headers = [header.replace("{n}", "1") for header in fmt.columns]
        assert detect(headers) is fmt, fmt.name


def test_a_generic_header_is_not_taken_for_a_vendor_layout() -> None:
    assert detect(["First Name", "Last Name", "Email", "Phone", "Postcode"]) is None


def test_numbered_labelled_columns_become_the_primary_and_extra_contact_methods() -> None:
    columns = layout(
        [
            *("E-mail 1 - Label", "E-mail 1 - Value", "E-mail 2 - Label", "E-mail 2 - Value"),
            *("Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label", "Phone 2 - Value"),
            *("Phone 3 - Label", "Phone 3 - Value"),
        ]
    )
    client = columns.read(
        [
            *("Home", "home@example.com", "* Work", "work@example.com ::: old@example.com"),
            *("Work Fax", "+44 113 496 0999", "Mobile", "+44 7911 123456"),
            *("Work", "+44 20 7946 0018"),
        ]
    ).client
    assert client.email == "work@example.com"  # "* " marks Google's primary value
    assert client.phone == "+44 7911 123456"
    assert [(m.kind, m.value) for m in client.contact_methods] == [
        (ContactKind.EMAIL, "old@example.com"),
        (ContactKind.EMAIL, "home@example.com"),
        (ContactKind.FAX, "+44 113 496 0999"),
        (ContactKind.PHONE, "+44 20 7946 0018"),
    ]


def test_outlook_title_is_the_salutation_and_job_title_a_custom_field() -> None:
    columns = layout(["Title", "First Name", "Last Name", "Job Title", "Business Street"])
    client = columns.read(["Dr", "Ada", "Lovelace", "Analyst", "1 Main St"]).client
    assert (client.title, client.custom_fields) == ("Dr", {"job_title": "Analyst"})


def test_salesforce_title_is_the_job_title_and_salutation_the_title() -> None:
    columns = layout(["Salutation", "First Name", "Title", "Mailing Zip/Postal Code"])
    client = columns.read(["Ms.", "Ada", "Head of Legal", "SW1A 1AA"]).client
    assert (client.title, client.custom_fields) == ("Ms.", {"job_title": "Head of Legal"})


def test_a_second_address_is_kept_as_a_custom_field() -> None:
    columns = layout(["Business Street", "Business City", "Home Street", "Home Postal Code"])
    client = columns.read(["1 Main St", "London", "2 High St", "BD22 8DR"]).client
    assert client.address == cb.Address(line1="1 Main St", city="London")
    assert client.custom_fields == {"home address": "2 High St, BD22 8DR"}


def test_the_older_outlook_layout_reads_its_country_and_keeps_a_second_whole_address() -> None:
    columns = layout(["First Name", "Business Address", "Business Street", "Business Country"])
    assert columns.format is format_named("outlook")
    both = layout([*columns.headers, "Home Address"])
    client = both.read(
        ["Ada", "1 Main St, London", "1 Main St", "United Kingdom", "2 High St"]
    ).client
    assert client.address == cb.Address(line1="1 Main St", country="GB")
    assert client.custom_fields == {"home address": "2 High St"}


def test_the_xero_templates_tracking_and_extra_people_columns_are_known_and_not_imported() -> None:
    columns = layout(
        [
            *("*ContactName", "EmailAddress", "SalesTrackingOption1", "PurchasesTrackingOption2"),
            *("Person1FirstName", "Person1Email", "Person2Email", "BankAccountCode"),
        ]
    )
    client = columns.read(
        ["Acme Ltd", "ap@acme.example", "North", "South", "Bo", "bo@acme.example", "c@x.io", "12"]
    ).client
    assert (client.company_name, client.email) == ("Acme Ltd", "ap@acme.example")
    assert (client.contact_methods, client.custom_fields) == ((), {})


def test_newer_export_column_names_are_read() -> None:
    labels = layout(["Person - Name", "Person - Labels"])
    assert labels.read(["Ada Lovelace", "Hot lead"]).client.custom_fields == {"label": "Hot lead"}
    owner = layout(["Record ID", "Email", "Primary Associated Company ID"])
    assert owner.read(["51203", "ada@example.com", "9"]).client.external_id == "51203"


def test_a_layout_can_be_forced_by_name() -> None:
    columns = layout(["Title", "Email"], source_format=format_named("salesforce-report"))
    assert columns.read(["CFO", "a@example.com"]).client.custom_fields == {"job_title": "CFO"}
    assert layout(["Title", "Email"], source_format=None).read(["Dr", "a@b.co"]).client.title


def test_an_unknown_layout_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Email\na@example.com\n", encoding="utf-8")
    with pytest.raises(ImportSetupError, match=r"unknown source format 'hubspt'.*hubspot"):
        rows_of(path, source_format="hubspt")


# ------------------------------------------------------------------ suggestions


@pytest.mark.parametrize(
    ("header", "suggested"),
    [("Business Phone", "phone"), ("Organization Title", None), ("Contact ID", None)],
)
def test_no_suggestion_of_a_field_of_another_kind(header: str, suggested: str | None) -> None:
    with pytest.raises(ImportSetupError) as caught:
        layout(["Email", header], source_format=None)
    assert f"{header!r}" in str(caught.value)
    if suggested is None:
        assert "did you mean" not in str(caught.value)
    else:  # the field the header's own words name, never another kind's
        assert f"{header!r} (did you mean {suggested}?)" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "suggested"),
    [("Emial", "email"), ("Frist Name", "first_name"), ("Postcdoe", "address_postal_code")],
)
def test_a_near_miss_of_a_real_name_is_suggested(header: str, suggested: str) -> None:
    with pytest.raises(ImportSetupError, match=f"{header!r} \\(did you mean {suggested}\\?\\)"):
        layout([header], source_format=None)


def test_a_near_miss_of_a_layout_column_suggests_the_documented_header() -> None:
    with pytest.raises(ImportSetupError, match=r"'Busines Phone' \(did you mean 'Business Phone'"):
        layout(["Business Street", "Busines Phone"])


def test_every_header_problem_is_reported_in_one_go() -> None:
    with pytest.raises(ImportSetupError) as caught:
        layout(
            ["Email", "Email Address", "Colour", "Shoe size"],
            {"Given name": "first_name", "Colour": "favourite"},
            source_format=None,
        )
    message = str(caught.value)
    assert "'favourite' is not a column" in message
    assert "'Given name', which is not in the file's header" in message
    assert "'Email' and 'Email Address' both fill email" in message
    assert "unknown column: 'Shoe size'" in message
    assert message.endswith("Nothing was sent.")


# ------------------------------------------------------------------ encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_the_encoding_is_detected_up_front(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "c.csv"
    ascii_rows = "".join(f"Ann{n},ann{n}@example.com\n" for n in range(20_000))
    path.write_bytes(f"Name,Email\n{ascii_rows}Zoë Brontë,zoe@example.com\n".encode(encoding))
    *_, last = rows_of(path)
    assert last.client.name == "Zoë Brontë"


def test_a_windows_1252_outlook_file_imports_completely(tmp_path: Path) -> None:
    path = tmp_path / "outlook.csv"
    header = "First Name,Last Name,E-mail Address,Business Street,Business Postal Code\n"
    rows = "".join(f"Ann,Lee{n},ann{n}@example.com,1 Main St,SW1A 1AA\n" for n in range(300))
    path.write_bytes(
        (header + rows + "Zoë,Brontë,zoe@example.com,1 Main St,BD22 8DR\n").encode("cp1252")
    )
    sandbox = Sandbox()
    context = CliContext(
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous)
    )
    result = CliRunner().invoke(
        cli,
        ["import", str(path), "--provider", "proconvey", "--sandbox", "--progress", "none"],
        obj=context,
    )
    assert result.exit_code == 0, result.output
    assert "301 created" in result.output
    assert "Windows-1252" in result.output
    assert sandbox.records("proconvey")[-1]["lastName"] == "Brontë"


# ------------------------------------------------------------------ workbooks


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (447911123456.0, "General", "447911123456"),
        (7911123456, "00000000000", "07911123456"),
        (12.5, "General", "12.5"),
        (0.25, "0%", "25%"),
        (datetime(1985, 6, 1), "yyyy-mm-dd", "1985-06-01"),
        (datetime(1985, 6, 1, 9, 30), "yyyy-mm-dd hh:mm", "1985-06-01 09:30:00"),
        (date(2020, 1, 2), "yyyy-mm-dd", "2020-01-02"),
        (True, "General", "TRUE"),
        (None, "General", ""),
    ],
)
def test_cells_are_read_as_the_user_sees_them(value: object, number_format: str, text: str) -> None:
    assert cell_text(value, number_format) == text


def test_a_workbook_sheet_can_be_named(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["ignored"])
    sheet = workbook.create_sheet("Clients")
    sheet.append(["Name", "Email", "Mobile"])
    sheet.append(["Zoë", "zoe@example.com", 447911123456])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    [row] = rows_of(path, sheet="Clients")
    assert (row.line, row.client) == (
        2,
        cb.Client(name="Zoë", email="zoe@example.com", phone="447911123456"),
    )
    with pytest.raises(ImportSetupError, match=r"no sheet 'Nope'; its sheets: 'Sheet', 'Clients'"):
        rows_of(path, sheet="Nope")


def test_a_workbook_resumes_from_its_journal(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    sandbox = Sandbox()
    context = CliContext(
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous)
    )
    command = ["import", str(EXPORTS / "dynamics-365-contacts.xlsx"), "--provider", "roostedhr"]
    command += ["--sandbox", "--journal", str(journal), "--progress", "none"]
    first = CliRunner().invoke(cli, command, obj=context)
    second = CliRunner().invoke(cli, command, obj=context)
    assert "3 created" in first.output
    assert "3 skipped" in second.output, second.output
    assert len(sandbox.records("roostedhr")) == 3


# ------------------------------------------------------------------ vCards


def test_vcard_cards_are_rows_numbered_by_their_begin_line() -> None:
    rows = rows_of(EXPORTS / "apple-contacts.vcf")
    assert [row.line for row in rows] == [1, 15, 29, 43]
    first = rows[0].client
    assert (first.first_name, first.last_name, first.company_name) == (
        "Zoë",
        "Brontë",
        "Haworth Parsonage Ltd",
    )
    assert first.address == cb.Address(
        line1="1 Church St", city="Haworth", postal_code="BD22 8DR", country="GB"
    )
    assert [(m.kind, m.value) for m in first.contact_methods] == [
        (ContactKind.FAX, "+441134960999")
    ]
    assert first.custom_fields["job_title"] == "Managing Director"
    assert rows[3].client is not None
    assert rows[3].client.email == "not-an-email"  # the provider's rules refuse it


def test_a_card_that_cannot_be_parsed_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.vcf"
    good = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n"
    path.write_text(
        good + "BEGIN:VCARD\r\nVERSION:3.0\r\nthis is not a property\r\nEND:VCARD\r\n" + good
    )
    first, broken, last = rows_of(path)
    assert first.client.email == last.client.email == "ada@example.com"
    assert broken.client is None
    assert "cannot be read" in broken.error


# ------------------------------------------------------------------ values


def test_a_country_no_one_knows_is_left_as_written() -> None:
    columns = layout(["Email", "Country"], source_format=None)
    assert columns.read(["a@example.com", "Narnia"]).client.address == cb.Address(country="Narnia")


def test_a_national_phone_number_is_written_in_e164_with_the_rows_country() -> None:
    columns = layout(["Email", "Phone", "Country"], source_format=None)
    client = columns.read(["a@example.com", "(415) 555-2671", "USA"]).client
    assert client.phone == "+14155552671"


def test_a_full_name_is_split_and_the_report_says_so(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Name,Email\nDr Ada King-Lovelace,ada@example.com\nCher,cher@example.com\n")
    split, single = rows_of(path)
    assert (split.client.first_name, split.client.last_name, split.client.title) == (
        "Ada",
        "King-Lovelace",
        "Dr",
    )
    assert split.client.name == "Dr Ada King-Lovelace"
    assert split.notes == (
        "name 'Dr Ada King-Lovelace' split into first name 'Ada' and last name 'King-Lovelace'",
    )
    assert (single.client.first_name, single.notes) == (None, ())


# ------------------------------------------------------------------ start-up


def test_import_clientbridge_loads_no_file_parser() -> None:
    heavy = ["openpyxl", "vobject", "pycountry", "nameparser", "charset_normalizer"]
    code = f"import sys, clientbridge; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(loaded.stdout.replace("'", '"')) == []


@pytest.mark.parametrize(
    "name", ["Ada Lovelace", "José Núñez", "Siobhán O'Brien", "Jr Smith", "Ada King-Lovelace"]
)
def test_a_two_word_name_splits_as_nameparser_splits_it(name: str) -> None:
    from nameparser import HumanName

    from clientbridge.importer.reading.values import split_full_name

    parsed, parts = HumanName(name), split_full_name(name)
    assert parts is not None
    assert (parts.first, parts.last) == (parsed.first, parsed.last)


def test_a_large_shared_string_table_is_read_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientbridge.importer.reading import xlsx

    in_memory = rows_of(EXPORTS / "dynamics-365-contacts.xlsx")
    monkeypatch.setattr(xlsx, "MAX_STRINGS_IN_MEMORY", 3)
    with open_source(EXPORTS / "dynamics-365-contacts.xlsx") as source:
        assert isinstance(source._workbook._clientbridge_strings, xlsx.SpilledStrings)
        assert list(source.rows()) == in_memory


@pytest.mark.parametrize(
    ("name", "options", "refusal"),
    [
        ("dynamics-365-contacts.xlsx", {"encoding": "cp1252"}, "its encoding is not chosen"),
        ("apple-contacts.vcf", {"source_format": "outlook"}, "has no header"),
        ("hubspot-contacts.csv", {"sheet": "Contacts"}, "it has no sheets"),
    ],
)
def test_options_that_do_not_apply_to_a_file_are_refused(
    name: str, options: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ImportSetupError, match=refusal):
        rows_of(EXPORTS / name, **options)


def test_every_row_of_a_sheet_is_read_whatever_row_count_the_file_states(tmp_path: Path) -> None:
    import re
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Email"])
    sheet.append(["Ada", "ada@example.com"])
    sheet.append([])  # a blank row: the next one is row 4, as the report must say
    sheet.append(["Grace", "grace@example.com"])
    written = tmp_path / "written.xlsx"
    workbook.save(written)
    path = tmp_path / "understated.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # "A1:B1": one row, it says
                body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B1"', body)
            target.writestr(item, body)
    assert [(row.line, row.client.name) for row in rows_of(path)] == [(2, "Ada"), (4, "Grace")]
