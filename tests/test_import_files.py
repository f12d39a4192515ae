"""Reading import files: header spellings, --map, unknown columns, encodings, CSV and JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import clientbridge as cb
from clientbridge.importer import ColumnMap, ImportSetupError, open_source
from clientbridge.importer.reading.columns import parse_mapping_option, read_mapping_file

from .import_fakes import invoke, write_csv


def rows_of(path: Path, **options: object) -> list:
    with open_source(path, **options) as source:  # type: ignore[arg-type]
        return list(source.rows())


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First Name", "first_name"),
        ("first_name", "first_name"),
        ("FIRSTNAME", "first_name"),
        ("Surname", "last_name"),
        ("Email Address", "email"),
        ("E-mail", "email"),
        ("Mobile", "phone"),
        ("Phone Number", "phone"),
        ("Company", "company_name"),
        ("Organisation", "company_name"),
        ("Address 1", "address_line1"),
        ("address_line2", "address_line2"),
        ("Town", "address_city"),
        ("County", "address_region"),
        ("State", "address_region"),
        ("Postcode", "address_postal_code"),
        ("Zip", "address_postal_code"),
        ("ZIP Code", "address_postal_code"),
        ("Country", "address_country"),
        ("UPRN", "address_uprn"),
        ("custom.Membership Tier", "custom.Membership Tier"),
        ("WhatsApp", "contact.whatsapp"),
        ("ID", "external_id"),
    ],
)
def test_common_header_spellings_are_recognised(header: str, field: str) -> None:
    assert ColumnMap.from_header([header]).used == {header: field}


def test_a_row_becomes_a_client_with_address_custom_fields_and_contacts() -> None:
    columns = ColumnMap.from_header(
        [
            "First Name",
            "Surname",
            "Email",
            "Address 1",
            "Postcode",
            "custom.tier",
            "WhatsApp",
            "Lead",
        ]
    )
    client = columns.client(
        [
            "Ada",
            "Lovelace",
            "ada@Example.COM",
            "1 Main St",
            "SW1A 1AA",
            "gold",
            "+447911123456",
            "yes",
        ]
    )
    assert client == cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        address=cb.Address(line1="1 Main St", postal_code="SW1A 1AA"),
        custom_fields={"tier": "gold"},
        contact_methods=(cb.ContactMethod(kind="whatsapp", value="+447911123456"),),
        lead=True,
    )


def test_map_option_names_a_column_and_an_empty_field_ignores_one() -> None:
    mapping = parse_mapping_option(["Given name=first_name", "Notes="])
    columns = ColumnMap.from_header(["Given name", "Notes", "Email"], mapping)
    assert columns.used == {"Given name": "first_name", "Email": "email"}


def test_map_option_accepts_field_aliases_as_targets() -> None:
    columns = ColumnMap.from_header(["Handy"], {"Handy": "Mobile"})
    assert columns.used == {"Handy": "phone"}


def test_unknown_columns_are_all_listed_with_a_suggestion() -> None:
    with pytest.raises(ImportSetupError) as caught:
        ColumnMap.from_header(["First Name", "Emial", "Favourite colour"])
    message = str(caught.value)
    assert "'Emial' (did you mean email?)" in message
    assert "'Favourite colour'" in message
    assert "column mapping" in message
    assert "unknown columns be ignored" in message
    assert "--" not in message  # library text names no command-line flag


def test_the_command_line_names_its_flags_for_unknown_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["Email", "Favourite colour"], ["a@example.com", "b"]])
    result = invoke(["import", str(path), "--provider", "placio", "--sandbox", "--dry-run"])
    assert result.exit_code == 2
    assert '--map "HEADER=FIELD"' in result.output
    assert "--ignore-unknown-columns" in result.output


def test_unknown_columns_can_be_ignored() -> None:
    columns = ColumnMap.from_header(["Email", "Favourite colour"], ignore_unknown=True)
    assert columns.used == {"Email": "email"}
    assert columns.client(["a@example.com", "blue"]) == cb.Client(email="a@example.com")


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(ImportSetupError, match="'Email' and 'Email Address' both fill email"):
        ColumnMap.from_header(["Email", "Email Address"])


def test_map_naming_a_missing_column_is_refused() -> None:
    with pytest.raises(ImportSetupError, match=r"'Given name'.*not in the file's header"):
        ColumnMap.from_header(["Email"], {"Given name": "first_name"})


def test_map_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(ImportSetupError, match="'forename_x' is not a column"):
        ColumnMap.from_header(["Given"], {"Given": "forename_x"})


def test_a_value_that_is_not_yes_or_no_is_a_row_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["Email", "Lead"], ["a@example.com", "perhaps"]])
    [row] = rows_of(path)
    assert row.client is None
    assert "lead: 'perhaps' is not yes/no" in row.error


@pytest.mark.parametrize("suffix", [".json", ".toml", ".txt"])
def test_mapping_files_in_json_toml_or_lines(tmp_path: Path, suffix: str) -> None:
    text = {
        ".json": '{"Given name": "first_name", "Notes": ""}',
        ".toml": '[columns]\n"Given name" = "first_name"\nNotes = ""\n',
        ".txt": "# mapping\nGiven name=first_name\nNotes=\n",
    }[suffix]
    path = tmp_path / f"mapping{suffix}"
    path.write_text(text, encoding="utf-8")
    assert read_mapping_file(path) == {"Given name": "first_name", "Notes": ""}


def test_utf8_bom_and_semicolons_are_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffPrénom;Nom;E-mail\nZoë;Brontë;zoe@example.com\n".encode())
    [row] = rows_of(path, mapping={"Prénom": "first_name", "Nom": "last_name"})
    assert row.client == cb.Client(first_name="Zoë", last_name="Brontë", email="zoe@example.com")


def test_tab_separated_files_are_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.tsv", [["Name", "Email"], ["Ada", "a@example.com"]], delimiter="\t"
    )
    [row] = rows_of(path)
    assert row.client == cb.Client(name="Ada", email="a@example.com")


def test_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'Name,Address 1\nAda,"1 Main St\nFlat 2"\n\nGrace,2 High St\n', encoding="utf-8"
    )
    assert [row.line for row in rows_of(path)] == [2, 5]


def test_a_ragged_row_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Name,Email\nAda,a@example.com,extra\nGrace,g@example.com\n", encoding="utf-8")
    first, second = rows_of(path)
    assert first.client is None
    assert "3 cells but the header has 2" in first.error
    assert second.client == cb.Client(name="Grace", email="g@example.com")


def test_a_windows_1252_file_is_read_whole_not_up_to_its_first_accent(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"Name,Email\nGrace,g@example.com\nZo\xeb,z@example.com\n")
    first, second = rows_of(path)
    assert first.client == cb.Client(name="Grace", email="g@example.com")
    assert second.client == cb.Client(name="Zoë", email="z@example.com")


def test_a_utf16_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("Name\tEmail\nZoë\tz@example.com\n".encode("utf-16"))
    [row] = rows_of(path)
    assert row.client == cb.Client(name="Zoë", email="z@example.com")


def test_a_forced_encoding_the_file_is_not_in_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"Name,Email\nGrace,g@example.com\nZo\xeb,z@example.com\n")
    with pytest.raises(
        ImportSetupError, match=r"not UTF-8 text: the byte at offset 33 does not decode"
    ):
        rows_of(path, encoding="utf-8")


def test_a_forced_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("Name,Email\nRenée,r@example.com\n".encode("iso8859_15"))
    [row] = rows_of(path, encoding="iso8859_15")
    assert row.client == cb.Client(name="Renée", email="r@example.com")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ImportSetupError, match="empty"):
        rows_of(path)


def test_jsonl_lines_are_unstructured_clients(tmp_path: Path) -> None:
    client = cb.Client(
        name="Ada Lovelace",
        email="ada@example.com",
        address=cb.Address(line1="1 Main St", country="GB"),
        custom_fields={"tier": "gold"},
    )
    path = tmp_path / "clients.jsonl"
    lines = [
        json.dumps(cb.converter.unstructure(client)),
        "",
        '{"nickname": "Ada"}',
        "[1]",
        "{nope",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good, wrong_type, not_object, not_json = rows_of(path)
    assert (good.line, good.client) == (1, client)
    assert wrong_type.line == 3
    assert "extra fields found (nickname)" in wrong_type.error
    assert "not a JSON object" in not_object.error
    assert "not JSON" in not_json.error


def test_jsonl_rejects_column_mappings(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    with pytest.raises(ImportSetupError, match="column mapping applies to CSV files"):
        rows_of(path, mapping={"a": "email"})


def test_the_same_row_has_the_same_digest_and_a_changed_row_another(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [["Name"], ["Ada"], ["Grace"]])
    second = write_csv(tmp_path / "b.csv", [["Name"], ["Ada"], ["Grace Hopper"]])
    ada, grace = rows_of(first)
    ada_again, grace_changed = rows_of(second)
    assert ada.digest == ada_again.digest
    assert grace.digest != grace_changed.digest


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_rows_can_be_read_for_some_lines_only(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"clients{suffix}"
    if suffix == ".csv":
        path.write_text(
            'Name,Address 1\nAda,"1 Main St\nFlat 2"\n\nGrace,2 High St\nAlan,x,extra\n',
            encoding="utf-8",
        )
    else:
        names = ["Ada", "", "Grace", "Alan"]
        path.write_text(
            "\n".join(json.dumps({"name": name}) if name else "" for name in names) + "\n",
            encoding="utf-8",
        )
    every = {row.line: row for row in rows_of(path)}
    wanted = set(list(every)[1:])  # the first row's line is not asked for
    with open_source(path) as source:
        some = list(source.rows(only=wanted | {4 if suffix == ".csv" else 2}))  # + a blank line
    assert some == [every[line] for line in sorted(wanted)]
