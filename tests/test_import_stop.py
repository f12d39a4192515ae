"""A stop (SIGTERM, Ctrl-C) does not wait for ever: the requests in flight are abandoned.

`clientbridge import` runs as a subprocess against a real server on 127.0.0.1 that
trickles its answer a byte at a time (so no read timeout fires, and the total timeout is
set far beyond the test). SIGTERM stops the import; after the grace period the request
still in flight is abandoned, its row journaled and reported ``unknown``, and the command
exits 130 as for any interrupt.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest

from clientbridge.importer.reporting.summary import ImportSummary, format_summary
from clientbridge.importer.rows import RowState
from clientbridge.importer.running.options import STOP_GRACE

from .import_fakes import journal_rows, people, read_report, signal_once_sent, write_csv
from .trickle_server import trickle_server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")

CLI = [sys.executable, "-m", "clientbridge.cli"]
#: Far longer than the grace period: without it, the import would wait this long.
TRICKLE_FOR = 120.0


def test_sigterm_abandons_a_request_in_flight_after_the_grace_period(tmp_path: Path) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(3))
    journal = tmp_path / "journal.sqlite"
    report = tmp_path / "report.csv"
    with trickle_server(interval=0.2, give_up_after=TRICKLE_FOR) as server:
        command = [*CLI, "import", str(clients), "--provider", "roostedhr"]
        command += ["--set", "api_key=stop-test-key", "--set", f"base_url={server.base_url}"]
        command += ["--set", f"timeout={TRICKLE_FOR}", "--concurrency", "1"]
        command += ["--progress", "none", "--journal", str(journal), "--report", str(report)]
        command += ["--json"]
        # Ends after the grace period (seconds), not when the answer ends (minutes).
        returncode, stdout, stderr = signal_once_sent(command, server.requests, signal.SIGTERM)
    assert returncode == 130, stdout + stderr
    assert server.requests == ["POST /clients HTTP/1.1"]  # nothing sent after the stop
    assert journal_rows(journal) == {2: ("unknown", None)}
    [row] = read_report(report)
    assert (row["row"], row["outcome"]) == ("2", "unknown")
    assert "abandoned the request in flight" in row["error"]
    [summary] = json.loads(stdout)["imports"]
    assert (summary["interrupted"], summary["abandoned"]) == (True, 1)
    assert any("Abandoned 1 row whose request was still" in step for step in summary["next_steps"])


def test_the_summary_says_how_many_rows_were_abandoned() -> None:
    summary = ImportSummary(source=Path("clients.csv"), target="t", provider="p")
    summary.interrupted, summary.abandoned = True, 2
    summary.counts[RowState.UNKNOWN] = 2
    assert "Abandoned 2 rows whose request was still in flight" in format_summary(summary)
    assert summary.exit_code == 130


def test_the_documented_grace_period_is_the_one_applied() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    import_md, reliability_md = (
        " ".join((docs / name).read_text().split()) for name in ("import.md", "reliability.md")
    )
    assert f"given {STOP_GRACE:g} seconds to finish" in import_md
    assert f"at most **{STOP_GRACE:g} seconds**" in reliability_md
