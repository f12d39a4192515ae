"""Benchmark: memory of a 1,000,000-row Excel workbook ``--dry-run``.

Writes a workbook the way Excel does (every text in the shared-string table, the cells
pointing into it), at 100,000 and 1,000,000 rows, and runs ``clientbridge import
--dry-run`` on each in a fresh process; peak RSS from ``getrusage``. Target: the 1M run
within 1.2x of the 100k run. The workbooks are written to a temporary directory.

    .venv/bin/python bench/xlsx_memory.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from _common import ROOT, machine_note, row

HEADER = ("First Name", "Last Name", "Email Address", "Company", "Mobile", "Postcode")
#: texts every row shares (then 977 company names); each row adds its own three
SHARED = ("Lovelace", "SW1A 1AA")
COMPANIES = 977
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _template() -> bytes:
    """The parts of a one-sheet workbook other than its cells and strings (openpyxl)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _strings(rows: int) -> Iterator[str]:
    yield from HEADER
    yield from SHARED
    yield from (f"Firm {number}" for number in range(COMPANIES))
    for number in range(rows):
        yield from (f"Ada{number}", f"ada{number}@example.com", f"07700 9{number % 100000:05d}")


def _cells(rows: int) -> Iterator[str]:
    def cell(column: str, line: int, index: int) -> str:
        return f'<c r="{column}{line}" t="s"><v>{index}</v></c>'

    yield '<row r="1">' + "".join(cell("ABCDEF"[i], 1, i) for i in range(6)) + "</row>"
    base = len(HEADER) + len(SHARED) + COMPANIES
    lovelace, postcode = len(HEADER), len(HEADER) + 1
    for number in range(rows):
        line, own = number + 2, base + 3 * number
        company = len(HEADER) + len(SHARED) + number % COMPANIES
        indexes = (own, lovelace, own + 1, company, own + 2, postcode)
        yield (
            f'<row r="{line}">'
            + "".join(cell("ABCDEF"[i], line, index) for i, index in enumerate(indexes))
            + "</row>"
        )


def write_workbook(path: Path, rows: int) -> None:
    """A workbook of ``rows`` clients, written as a stream (never held in memory)."""
    template = zipfile.ZipFile(io.BytesIO(_template()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as workbook:
        for item in template.infolist():
            body = template.read(item)
            if item.filename == SHEET:
                head, _, _ = body.decode().partition("<sheetData>")
                with workbook.open(SHEET, "w") as sheet:
                    sheet.write((head + "<sheetData>").encode())
                    for chunk in _cells(rows):
                        sheet.write(chunk.encode())
                    sheet.write(b"</sheetData></worksheet>")
                continue
            if item.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            workbook.writestr(item, body)
        with workbook.open(STRINGS, "w") as strings:
            strings.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{MAIN}">'.encode())
            for text in _strings(rows):
                strings.write(f"<si><t>{escape(text)}</t></si>".encode())
            strings.write(b"</sst>")


def measure(path: Path, rows: int) -> tuple[float, float]:
    command = [
        sys.executable,
        str(Path(__file__).with_name("_import_child.py")),
        "import",
        str(path),
        "--provider",
        "roostedhr",
        "--sandbox",
        "--progress",
        "none",
        "--exit-zero",
        "--dry-run",
        "--show",
        "0",
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    match = re.search(r"BENCH peak_kib=(\d+) seconds=([\d.]+)", completed.stderr)
    if not match or f"{rows:,} valid" not in completed.stdout:
        raise RuntimeError(f"the import did not report: {completed.stdout[-2000:]}")
    return int(match.group(1)) / 1024, float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    small_rows = args.rows // 10
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder) / "small.xlsx", Path(folder) / "large.xlsx"
        started = time.perf_counter()
        write_workbook(small, small_rows)
        write_workbook(large, args.rows)
        written = time.perf_counter() - started
        size = large.stat().st_size / 2**20
        small_peak, small_time = measure(small, small_rows)
        large_peak, large_time = measure(large, args.rows)
    print(f"peak RSS of an .xlsx --dry-run, {small_rows:,} vs {args.rows:,} rows, {machine_note()}")
    print(f"(workbooks written in {written:.0f} s; the large one is {size:.0f} MiB)")
    print(row("rows", "peak RSS (MiB)", "time (s)", "rows/s"))
    print(row("---", "---", "---", "---"))
    for count, peak, seconds in (
        (small_rows, small_peak, small_time),
        (args.rows, large_peak, large_time),
    ):
        print(row(f"{count:,}", f"{peak:.1f}", f"{seconds:.0f}", f"{count / seconds:,.0f}"))
    print(
        f"\npeak at {args.rows:,} / at {small_rows:,} rows = {large_peak / small_peak:.2f}"
        " (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
