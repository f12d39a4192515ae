"""Hostile files stay in bounded memory and fail their rows locally.

Each workbook here is small on disk (a few hundred KB) but decompresses to hundreds of
MB: one shared string or inline cell of 256 MB, a row of millions of cells, a row whose
16,384 cells all point at one long string. Each is imported (``--dry-run``) in a fresh
process whose peak RSS is read with ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process of
its own; the bound is 300 MB. Long values in vCard and JSON Lines files fail their row
with the same 128 KiB limit as CSV.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from clientbridge.importer.reading.source import MAX_VALUE

from .import_fakes import ROOSTED, FakeRoostedHR, invoke, read_report

#: Peak RSS allowed for a hostile file, in MiB.
BOUND_MIB = 300
#: Characters of the hostile texts (a quarter of a GiB).
HUGE = 256 << 20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ("First Name", "Last Name", "Email Address", "Company")

#: Runs one command in a child of its own and prints the child's peak RSS (KiB on Linux).
WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print("PEAK_KIB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
"""


def _template() -> dict[str, bytes]:
    """The parts of a one-sheet workbook openpyxl writes, but its cells and strings."""
    import io

    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _cells(row: int, values: list[str]) -> str:
    return f'<row r="{row}">' + "".join(values) + "</row>"


def _inline(column: str, row: int, text: str) -> str:
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>'


#: What a workbook with a shared-string table adds to its index parts: (closing tag, entry).
_STRING_PARTS = {
    "[Content_Types].xml": (
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
    ),
    "xl/_rels/workbook.xml.rels": (
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>',
    ),
}


def write_workbook(path: Path, rows: list[str], strings: list[str] | None = None) -> None:
    """A workbook whose sheet holds ``rows`` (XML text; ``\\0HUGE\\0`` stands for
    `HUGE` characters, written in pieces) and the shared ``strings`` (likewise)."""
    parts = _template()
    parts.pop("xl/sharedStrings.xml", None)
    header = _cells(1, [_inline("ABCD"[i], 1, name) for i, name in enumerate(HEADER)])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name == "xl/worksheets/sheet1.xml":
                continue
            if strings is not None and name in _STRING_PARTS:
                end, added = _STRING_PARTS[name]
                data = data.replace(end, added + end)
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData>{header}'.encode())
            for row in rows:
                _write_huge(sheet, row)
            sheet.write(b"</sheetData></worksheet>")
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
                table.write(f'<sst xmlns="{MAIN}">'.encode())
                for text in strings:
                    table.write(b"<si><t>")
                    _write_huge(table, text)
                    table.write(b"</t></si>")
                table.write(b"</sst>")


def _write_huge(stream: object, text: str) -> None:
    for index, part in enumerate(text.split("\0")):
        if index % 2:
            count, _, what = part.partition(":")
            piece = (what or "a").encode() * (1 << 16)
            for _ in range(int(count) // (1 << 16)):
                stream.write(piece)  # type: ignore[attr-defined]
        else:
            stream.write(part.encode())  # type: ignore[attr-defined]


def good_row(row: int) -> str:
    values = ("Ada", f"Person{row}", f"ada{row}@example.com", "fine")
    return _cells(row, [_inline("ABCD"[i], row, value) for i, value in enumerate(values)])


def peak_import(path: Path, report: Path) -> tuple[int, str]:
    """Peak RSS (MiB) and output of a dry-run import of ``path`` in a fresh process."""
    command = [
        sys.executable,
        "-c",
        WRAPPER,
        sys.executable,
        "-m",
        "clientbridge.cli",
        "import",
        str(path),
        "--provider",
        "roostedhr",
        "--sandbox",
        "--dry-run",
        "--show",
        "0",
        "--progress",
        "none",
        "--report",
        str(report),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    peak = int(done.stderr.rsplit("PEAK_KIB", 1)[1].split()[0]) // 1024
    return peak, done.stdout + done.stderr


def outcomes(report: Path) -> dict[int, dict[str, str]]:
    with report.open(encoding="utf-8") as handle:
        return {int(row["row"]): row for row in csv.DictReader(handle)}


HOSTILE_WORKBOOKS = {
    # one inline cell of 256 MB
    "inline": (
        [good_row(2), _cells(3, [_inline("A", 3, "Eve"), _inline("D", 3, f"\0{HUGE}\0")])],
        None,
    ),
    # one shared string of 256 MB, used by a cell
    "shared": (
        [
            good_row(2),
            _cells(
                3,
                ['<c r="A3" t="inlineStr"><is><t>Eve</t></is></c>', '<c r="D3" t="s"><v>0</v></c>'],
            ),
        ],
        [f"\0{HUGE}\0"],
    ),
    # a row of 256 Ki cells without references (past Excel's 16,384 columns)
    "wide": ([good_row(2), _cells(3, [f"\0{256 << 10}:<c/>\0"])], None),
    # every cell of a row points at one string of 128 KiB (2 GB of text if joined)
    "repeated": (
        [good_row(2), _cells(3, ['<c t="s"><v>0</v></c>' * 16_384])],
        ["x" * MAX_VALUE],
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_WORKBOOKS))
def test_a_hostile_workbook_stays_in_bounded_memory_and_fails_its_row(
    name: str, tmp_path: Path
) -> None:
    rows, strings = HOSTILE_WORKBOOKS[name]
    path = tmp_path / f"{name}.xlsx"
    write_workbook(path, rows, strings)
    assert path.stat().st_size < 2 << 20  # small on disk
    report = tmp_path / "report.csv"
    peak, output = peak_import(path, report)
    assert peak <= BOUND_MIB, (peak, output)
    print(f"{name}: peak RSS {peak} MiB, {path.stat().st_size:,} bytes")
    done = outcomes(report)
    assert done[2]["outcome"] == "valid", output
    assert done[3]["outcome"] == "failed", output
    assert done[3]["error"], output


def test_a_long_value_in_a_workbook_fails_its_row_with_the_csv_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    long_cell = _inline("D", 3, "y" * (MAX_VALUE + 1))
    fitting = _inline("D", 4, "z" * MAX_VALUE)
    write_workbook(
        path,
        [
            good_row(2),
            _cells(3, [_inline("A", 3, "Eve"), _inline("C", 3, "eve@example.com"), long_cell]),
            _cells(4, [_inline("A", 4, "Max"), _inline("C", 4, "max@example.com"), fitting]),
        ],
    )
    report = tmp_path / "report.csv"
    result = invoke(["import", str(path), *ROOSTED, "--dry-run", "--report", str(report)])
    done = outcomes(report)
    assert done[3]["outcome"] == "failed", result.output
    assert "Company holds a value longer than 128 KiB" in done[3]["error"]
    assert "128 KiB" not in done[4]["error"]  # a value of 128 KiB is read (the provider judges it)


def test_a_workbook_with_a_document_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    write_workbook(path, [good_row(2)])
    data = {}
    with zipfile.ZipFile(path) as archive:
        data = {name: archive.read(name) for name in archive.namelist()}
    sheet = data["xl/worksheets/sheet1.xml"]
    data["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>' + sheet
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in data.items():
            archive.writestr(name, content)
    result = invoke(["import", str(path), *ROOSTED, "--dry-run"])
    assert result.exit_code == 2
    assert "declares a document type" in result.output


def test_a_long_vcard_value_fails_its_card_and_the_rest_is_read(tmp_path: Path) -> None:
    folded = "NOTE:" + "\r\n ".join("n" * 70 for _ in range(MAX_VALUE // 70 + 10))
    cards = [
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\n"
        "EMAIL:ada@example.com\r\nEND:VCARD\r\n",
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Eve;Long;;;\r\nFN:Long Eve\r\n"
        f"EMAIL:eve@example.com\r\n{folded}\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Turing;Alan;;;\r\nFN:Alan Turing\r\n"
        "EMAIL:alan@example.com\r\nEND:VCARD\r\n",
    ]
    path = tmp_path / "cards.vcf"
    path.write_text("".join(cards), encoding="utf-8")
    report = tmp_path / "report.csv"
    fake = FakeRoostedHR()
    invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    rows = read_report(report)
    assert [row["outcome"] for row in rows] == ["created", "failed", "created"]
    assert "NOTE holds a value longer than 128 KiB" in rows[1]["error"]
    assert fake.created_emails() == ["ada@example.com", "alan@example.com"]


def test_a_hostile_vcard_stays_in_bounded_memory(tmp_path: Path) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Eve Many\r\nEMAIL:eve@example.com\r\n"
    many = card + "TEL:1\r\n" * 200_000 + "END:VCARD\r\n"  # 1 MB of properties
    folded = card + "NOTE:" + "\r\n x" * 300_000 + "\r\nEND:VCARD\r\n"  # one long value
    good = card.replace("Eve Many", "Ada Good").replace("eve@", "ada@") + "END:VCARD\r\n"
    path = tmp_path / "hostile.vcf"
    path.write_text(good + many + folded, encoding="utf-8")
    report = tmp_path / "report.csv"
    peak, output = peak_import(path, report)
    assert peak <= BOUND_MIB, (peak, output)
    print(f"vcard: peak RSS {peak} MiB, {path.stat().st_size:,} bytes")
    done = outcomes(report)
    assert [row["outcome"] for row in done.values()] == ["valid", "failed", "failed"], output
    assert "more than 1,000 properties" in done[6]["error"]
    assert "NOTE holds a value longer than 128 KiB" in list(done.values())[2]["error"]


def test_a_long_jsonl_value_or_line_fails_its_row(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    lines = [
        '{"first_name": "Ada", "last_name": "L", "email": "ada@example.com"}',
        '{"first_name": "Eve", "last_name": "L", "email": "eve@example.com", '
        f'"custom_fields": {{"notes": "{"x" * (MAX_VALUE + 1)}"}}}}',
        '{"first_name": "Bob", "custom_fields": {"n": "' + "y" * (3 << 20) + '"}}',
        '{"first_name": "Alan", "last_name": "T", "email": "alan@example.com"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    fake = FakeRoostedHR()
    invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    rows = read_report(report)
    assert [row["outcome"] for row in rows] == ["created", "failed", "failed", "created"]
    assert "custom_fields.notes holds a value longer than 128 KiB" in rows[1]["error"]
    assert "the line is longer than 2 MiB" in rows[2]["error"]


def test_a_workbook_with_a_huge_xml_token_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token.xlsx"
    huge_attribute = f'<c r="A3" t="inlineStr" x="\0{20 << 20}\0"><is><t>Eve</t></is></c>'
    write_workbook(path, [good_row(2), _cells(3, [huge_attribute])])
    report = tmp_path / "report.csv"
    peak, output = peak_import(path, report)
    assert peak <= BOUND_MIB, (peak, output)
    assert "holds an XML token of more than 16 MiB" in output
