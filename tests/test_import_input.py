"""Input that used to be lost or crash the import: stray quotes, streams, deep JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from clientbridge.importer import ImportSetupError, open_source

from .import_fakes import ROOSTED, FakeRoostedHR, import_into, invoke, people, read_report


def journal_states(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [state for (state,) in db.execute("SELECT state FROM rows")]


# ---------------------------------------------------------------- deep JSON Lines


def test_a_jsonl_line_nested_too_deeply_fails_alone_and_leaves_nothing_sending(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clients.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        json.dumps({"company_name": "Acme", "email": "a@example.com"}),
        '{"company_name": "Deep", "custom_fields": {"x": ' + deep + "}}",
        json.dumps({"company_name": "Beta", "email": "b@example.com"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake = FakeRoostedHR()
    code, rows, output = import_into(path, fake)
    assert code == 1, output
    assert [(row["row"], row["outcome"]) for row in rows] == [
        ("1", "created"),
        ("2", "failed"),
        ("3", "created"),
    ]
    assert "nested too deeply" in rows[1]["error"]
    assert [record["client_name"] for record in fake.created] == ["Acme", "Beta"]
    journal = path.with_name("clients.jsonl.journal.sqlite")
    assert sorted(journal_states(journal)) == ["created", "created", "failed"]


def test_a_jsonl_line_nested_too_deeply_fails_alone_in_a_dry_run(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text('{"company_name": "A"}\n' + "[" * 50_000 + "\n", encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows())
    assert [(row.line, row.client is not None) for row in rows] == [(1, True), (2, False)]
    assert "nested too deeply" in (rows[1].error or "")


# ---------------------------------------------------------------- stray quotes


def stray_quote_file(tmp_path: Path, rows: int = 3000) -> Path:
    """``rows`` clients; the 5th starts with a quote that is never closed."""
    lines = ["Company,First Name,Last Name,Email Address"]
    for number in range(1, rows + 1):
        opener = '"' if number == 5 else ""
        lines.append(f"{opener}Firm {number},Bob,N{number},p{number}@example.com")
    path = tmp_path / "clients.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_stray_quote_stops_the_import_before_anything_is_sent(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path)
    fake = FakeRoostedHR()
    result = invoke(["import", str(path), *ROOSTED], fake.transport)
    assert result.exit_code == 2, result.output
    assert fake.requests == []
    assert "lines 6 to 3,001 were read as one row" in result.output
    assert "quote opened on line 6" in result.output
    assert "Nothing was sent" in result.output


def test_a_dry_run_reports_the_stray_quote_too(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path)
    result = invoke(["import", str(path), *ROOSTED, "--dry-run"], FakeRoostedHR().transport)
    assert result.exit_code == 2
    assert "lines 6 to 3,001 were read as one row" in result.output


def test_a_stray_quote_closed_by_a_later_quote_is_found(tmp_path: Path) -> None:
    rows = people(20)
    lines = [",".join(row) for row in rows]
    lines[5] = '"' + lines[5]  # opens on line 6 ...
    lines[12] = lines[12].replace("Firm 12", '"Firm 12"')  # ... and closes on line 13
    path = tmp_path / "clients.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake = FakeRoostedHR()
    result = invoke(["import", str(path), *ROOSTED], fake.transport)
    assert result.exit_code == 2, result.output
    assert "quote opened on line 6" in result.output
    assert fake.requests == []


def test_a_quoted_field_on_two_lines_still_imports(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(
        "Company,Email Address,Address,City\n"
        'Acme,a@example.com,"Flat 2, 10 High St\nRear entrance",London\n'
        "Beta,b@example.com,1 Main St,Leeds\n",
        encoding="utf-8",
    )
    fake = FakeRoostedHR()
    code, rows, output = import_into(path, fake)
    assert code == 0, output
    assert [(row["row"], row["outcome"]) for row in rows] == [("2", "created"), ("4", "created")]


def test_a_stray_quote_in_a_stream_is_a_failed_row_naming_the_lines(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path, rows=50)
    with open_source(fifo_of(tmp_path, path.read_bytes())) as source:
        rows = list(source.rows())
    assert [row.line for row in rows] == [2, 3, 4, 5, 6]
    assert rows[4].client is None
    assert "lines 6 to 51 were read as one row" in (rows[4].error or "")


def test_a_stray_quote_past_the_field_limit_in_a_stream_names_its_lines(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path, rows=5000)  # the quoted field outgrows 128 KiB
    with open_source(fifo_of(tmp_path, path.read_bytes())) as source:
        rows = [row for row in source.rows() if row.client is None]
    assert rows[0].line == 6
    assert "were read as one row (field larger than field limit" in (rows[0].error or "")
    assert "quote opened on line 6" in (rows[0].error or "")


# ---------------------------------------------------------------- streams


def fifo_of(tmp_path: Path, data: bytes, name: str = "clients.fifo") -> Path:
    """A FIFO that a thread fills with ``data`` once a reader opens it."""
    import os
    import threading

    fifo = tmp_path / name
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)

    def fill() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    threading.Thread(target=fill, daemon=True).start()
    return fifo


def csv_bytes(count: int, *, start: int = 1) -> bytes:
    return "".join(",".join(row) + "\r\n" for row in people(count, start=start)).encode()


def test_a_fifo_is_imported_as_a_stream(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    fifo = fifo_of(tmp_path, csv_bytes(5))
    report = tmp_path / "report.csv"
    result = invoke(
        ["import", str(fifo), *ROOSTED, "--report", str(report), "--format", "csv"],
        fake.transport,
    )
    assert result.exit_code == 0, result.output
    assert fake.created_emails() == [f"p{n}@example.com" for n in range(1, 6)]
    assert [row["row"] for row in read_report(report)] == ["2", "3", "4", "5", "6"]


def test_a_fifo_resumes_with_its_journal(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    journal = tmp_path / "journal.sqlite"
    args = [*ROOSTED, "--journal", str(journal), "--format", "csv"]
    invoke(["import", str(fifo_of(tmp_path, csv_bytes(3, start=2))), *args], fake.transport)
    report = tmp_path / "report.csv"
    result = invoke(  # a row before them and one after: known by identity, not line
        ["import", str(fifo_of(tmp_path, csv_bytes(5))), *args, "--report", str(report)],
        fake.transport,
    )
    assert result.exit_code == 0, result.output
    assert sorted(fake.created_emails()) == [f"p{n}@example.com" for n in range(1, 6)]
    outcomes = [row["outcome"] for row in read_report(report)]
    assert outcomes == ["created", "skipped", "skipped", "skipped", "created"]


def test_a_windows_1252_stream_is_decoded_from_its_first_bytes(tmp_path: Path) -> None:
    data = "Company,Email Address\r\nCafé Zoë,z@example.com\r\n".encode("cp1252")
    with open_source(fifo_of(tmp_path, data)) as source:
        rows = list(source.rows())
        assert "Windows-1252" in (source.description or "")
    assert rows[0].client is not None
    assert rows[0].client.company_name == "Café Zoë"


def test_a_stream_cannot_be_read_twice(tmp_path: Path) -> None:
    with (
        open_source(fifo_of(tmp_path, csv_bytes(2))) as source,
        pytest.raises(ImportSetupError, match="can be read only once"),
    ):
        source.reopen()


def test_standard_input_needs_a_named_journal(tmp_path: Path) -> None:
    result = invoke(["import", "-", *ROOSTED], FakeRoostedHR().transport, input=csv_bytes(2))
    assert result.exit_code == 2
    assert "--journal PATH" in result.output


def test_standard_input_from_a_real_pipe_is_imported(tmp_path: Path) -> None:
    import subprocess
    import sys

    import clientbridge as cb

    provider = cb.providers()[0]
    report = tmp_path / "report.csv"
    command = [sys.executable, "-m", "clientbridge.cli", "import", "-", "--provider", provider]
    command += ["--sandbox", "--progress", "none", "--report", str(report)]
    done = subprocess.run(command, input=csv_bytes(4), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    assert [row["outcome"] for row in read_report(report)] == ["created"] * 4


def test_a_file_that_cannot_be_read_further_stops_the_import_with_nothing_left_sending(
    tmp_path: Path,
) -> None:
    import clientbridge as cb
    from clientbridge.importer import ImportOptions, Target, run_import
    from clientbridge.importer.reading.delimited import CsvSource
    from clientbridge.importer.reading.source import SourceRow

    from .import_fakes import KEY, people, write_csv

    class BrokenPartWay(CsvSource):
        def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
            for row in super().rows(only):
                if row.line == 30:
                    raise ImportSetupError("the disk went away")
                yield row

    # Requests are in flight when reading fails: the reader waits for the workers to take
    # the rows it read (4 at a time), and each answer takes 50 ms.
    fake = FakeRoostedHR(latency=0.05)

    def connect(asynchronous: bool) -> Any:
        def open_(**options: Any) -> Any:
            opener = cb.connect_async if asynchronous else cb.connect
            transport = fake.transport("roostedhr", asynchronous)
            return opener("roostedhr", api_key=KEY, transport=transport, **options)

        return open_

    target = Target(
        provider="roostedhr",
        label="fake",
        fingerprint="fake",
        connect=connect(False),
        connect_async=connect(True),
    )
    journal = tmp_path / "journal.sqlite"
    path = write_csv(tmp_path / "clients.csv", people(40))
    with (
        BrokenPartWay(path) as source,
        pytest.raises(ImportSetupError, match="the disk went away"),
    ):
        run_import(
            source,
            target,
            ImportOptions(concurrency=4, progress="none"),
            journal=journal,
            report=None,
        )
    states = journal_states(journal)
    assert states  # a row was in flight when reading failed: it finished
    assert states == ["created"] * len(fake.created)  # nothing left "sending"


def test_standard_input_redirected_from_a_file_is_read_as_a_stream(tmp_path: Path) -> None:
    import subprocess
    import sys

    import clientbridge as cb

    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes(3))
    report = tmp_path / "report.csv"
    command = [sys.executable, "-m", "clientbridge.cli", "import", "-", "--provider"]
    command += [cb.providers()[0], "--sandbox", "--progress", "none", "--report", str(report)]
    with path.open("rb") as redirected:
        done = subprocess.run(command, stdin=redirected, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert [row["outcome"] for row in read_report(report)] == ["created"] * 3


def test_standard_input_resumes_with_a_named_journal(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    args = ["import", "-", *ROOSTED, "--journal", str(tmp_path / "journal.sqlite")]
    invoke(args, fake.transport, input=csv_bytes(2, start=2))
    report = tmp_path / "report.csv"
    result = invoke([*args, "--report", str(report)], fake.transport, input=csv_bytes(3))
    assert result.exit_code == 0, result.output
    assert [row["outcome"] for row in read_report(report)] == ["created", "skipped", "skipped"]
    assert len(fake.created) == 3


def test_vcards_and_json_lines_are_read_from_a_stream(tmp_path: Path) -> None:
    exports = Path(__file__).parent / "fixtures" / "exports"
    vcards = (exports / "apple-contacts.vcf").read_bytes()
    with open_source(exports / "apple-contacts.vcf") as source:
        from_file = [row.client for row in source.rows()]
    with open_source(fifo_of(tmp_path, vcards), format="vcard") as source:
        assert [row.client for row in source.rows()] == from_file
    lines = b'{"company_name": "Acme"}\n{"company_name": "Beta"}\n'
    with open_source(fifo_of(tmp_path, lines, "lines.fifo"), format="jsonl") as source:
        assert [row.line for row in source.rows()] == [1, 2]


def test_a_workbook_cannot_be_read_from_a_stream(tmp_path: Path) -> None:
    with pytest.raises(ImportSetupError, match="save it to a file"):
        open_source(fifo_of(tmp_path, b"PK\x03\x04"), format="xlsx")
