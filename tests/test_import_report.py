"""The report is safe to open in a spreadsheet: no cell runs as a formula (OWASP CSV
injection), whoever wrote its value."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

from clientbridge.importer.reporting.report import FORMULA_STARTS, ReportWriter, RowOutcome
from clientbridge.importer.rows import RowState

from .import_fakes import ROOSTED, invoke, people, read_report, write_csv

HOSTILE = ['=HYPERLINK("http://x")', "+44 7911 123456", "-5", "@SUM(A1)", "\t=1", "\r=1"]


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))[1:]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_report_cell_that_would_start_a_formula_starts_with_a_quote(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "report.csv"
    with ReportWriter(path, connections=True) as report:
        outcome = RowOutcome(2, RowState.FAILED, value, value, (value,), connection=value)
        report.write(outcome)
    [[row, *cells]] = _cells(path)
    assert row == "2"
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), cell
    connection, _, client_id, _, _ = cells
    assert connection == client_id == "'" + value


def test_a_provider_id_that_is_a_formula_is_escaped_in_the_report(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(201, json={"id": "=cmd|' /C calc'!A0", "pending": False, **body})

    path = write_csv(tmp_path / "clients.csv", people(1))
    report = tmp_path / "report.csv"
    args = ["import", str(path), *ROOSTED, "--no-journal", "--report", str(report)]
    result = invoke(args, lambda provider, asynchronous: httpx.MockTransport(answer))
    assert result.exit_code == 0, result.output
    [row] = read_report(report)
    assert row["id"] == "'=cmd|' /C calc'!A0"


def test_plain_cells_are_written_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    with ReportWriter(path) as report:
        report.write(RowOutcome(3, RowState.CREATED, "c-1", None, ("a note",)))
    assert _cells(path) == [["3", "created", "c-1", "", "a note"]]
