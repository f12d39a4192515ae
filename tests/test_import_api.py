"""`import_file`: the importer from Python, against the sandbox.

It does what ``clientbridge import`` does (journal, resume, report) and its messages say
what to do without naming any command-line flag.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clientbridge.importer import (
    ImportOptions,
    ImportSetupError,
    Target,
    format_summary,
    import_file,
    provider_target,
)
from clientbridge.registry import adapter_class, providers
from clientbridge.sandbox import Sandbox

from .import_fakes import people, read_report, set_state, write_csv


def _plain_provider() -> str:
    """A provider that can neither look clients up nor refuses a second one by email:
    a row an earlier run left unknown stays unknown, with advice."""
    for name in providers():
        capabilities = adapter_class(name).capabilities
        if not (capabilities.unique_email or capabilities.find_existing or capabilities.lookups):
            return name
    pytest.skip("every provider can settle an unknown row on its own")


@pytest.fixture
def provider() -> str:
    return _plain_provider()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


def _target(provider: str, sandbox: Sandbox) -> Target:
    return provider_target(
        provider,
        sandbox=True,
        transport_for=lambda asynchronous: sandbox.transport(provider, asynchronous=asynchronous),
    )


def test_import_file_creates_every_row_and_returns_the_summary(
    tmp_path: Path, provider: str, sandbox: Sandbox
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(3))
    report = tmp_path / "report.csv"
    summary = import_file(clients, _target(provider, sandbox), report=report)
    assert summary.counts["created"] == 3
    assert summary.exit_code == 0
    assert len(sandbox.records(provider)) == 3
    assert [row["outcome"] for row in read_report(report)] == ["created"] * 3


def test_import_file_takes_a_provider_name_and_its_settings(tmp_path: Path, provider: str) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(2))
    summary = import_file(clients, provider, sandbox=True)
    assert summary.counts["created"] == 2
    assert summary.ephemeral  # the in-process sandbox forgets: nothing to resume


def test_import_file_with_a_journal_resumes_without_creating_twice(
    tmp_path: Path, provider: str, sandbox: Sandbox
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(3))
    journal = tmp_path / "clients.journal.sqlite"
    target = _target(provider, sandbox)
    import_file(clients, target, journal=journal)
    again = import_file(clients, target, journal=journal)
    assert again.counts["skipped"] == 3
    assert len(sandbox.records(provider)) == 3


def test_import_file_messages_name_no_command_line_flag(
    tmp_path: Path, provider: str, sandbox: Sandbox
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(3))
    journal = tmp_path / "clients.journal.sqlite"
    report = tmp_path / "report.csv"
    target = _target(provider, sandbox)
    import_file(clients, target, journal=journal)
    set_state(journal, 2, "failed")
    set_state(journal, 3, "sending")  # as an import killed while sending it leaves it
    summary = import_file(clients, target, journal=journal, report=report)
    rows = {row["row"]: row for row in read_report(report)}
    assert rows["3"]["outcome"] == "unknown"
    assert "an explicit retry of unknown rows sends it again" in rows["3"]["error"]
    assert "an explicit retry of failed rows sends it again" in rows["2"]["error"]
    text = format_summary(summary)
    assert "an explicit retry of unknown rows sends them again" in text
    for message in (rows["2"]["error"], rows["3"]["error"], text):
        assert "--" not in message


def test_a_journal_error_from_python_names_no_flag(tmp_path: Path, provider: str) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(1))
    not_a_journal = tmp_path / "notes.sqlite"
    not_a_journal.write_text("these are notes, not a journal\n" * 200)
    with pytest.raises(ImportSetupError, match="not a clientbridge journal") as raised:
        import_file(clients, provider, sandbox=True, journal=not_a_journal)
    assert "--" not in str(raised.value)
    assert "use another journal path" in str(raised.value)


def test_import_file_dry_run_sends_nothing(tmp_path: Path, provider: str, sandbox: Sandbox) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(2))
    summary = import_file(
        clients,
        _target(provider, sandbox),
        dry_run=True,
        options=ImportOptions(progress="none"),
    )
    assert summary.counts["valid"] == 2
    assert sandbox.records(provider) == []


def test_import_file_into_several_targets_returns_a_summary_each_and_resumes(
    tmp_path: Path, provider: str
) -> None:
    """What ``clientbridge import -c a -c b`` does, from Python: one journal, a state per row
    and connection; running it again creates nothing twice."""
    first, second = Sandbox(), Sandbox()
    targets = {"first": _target(provider, first), "second": _target(provider, second)}
    clients = write_csv(tmp_path / "clients.csv", people(4))
    journal = tmp_path / "clients.journal.sqlite"
    summaries = import_file(clients, targets, journal=journal, report=tmp_path / "report.csv")
    assert sorted(summaries) == ["first", "second"]
    assert [summary.counts["created"] for summary in summaries.values()] == [4, 4]
    again = import_file(clients, targets, journal=journal)
    assert [summary.counts["created"] for summary in again.values()] == [0, 0]
    assert len(first.records(provider)) == len(second.records(provider)) == 4


def test_a_dry_run_into_several_targets_sends_nothing_and_writes_no_report(
    tmp_path: Path, provider: str, sandbox: Sandbox
) -> None:
    targets = {"a": _target(provider, sandbox), "b": _target(provider, sandbox)}
    clients = write_csv(tmp_path / "clients.csv", people(2))
    summaries = import_file(clients, targets, dry_run=True)
    assert [summary.counts["valid"] for summary in summaries.values()] == [2, 2]
    assert sandbox.records(provider) == []
    with pytest.raises(ImportSetupError, match="writes no report"):
        import_file(clients, targets, dry_run=True, report=tmp_path / "report.csv")


def test_on_read_hears_what_reading_noticed_before_anything_is_sent(
    tmp_path: Path, provider: str, sandbox: Sandbox
) -> None:
    clients = tmp_path / "clients.csv"
    clients.write_text(
        "email,first_name,Favourite colour\na@example.com,Ada,red\n", encoding="utf-8"
    )
    heard: list[list[str]] = []

    def on_read(notes: object) -> None:
        heard.append(list(notes.before_lines()))  # type: ignore[attr-defined]
        assert sandbox.records(provider) == []

    options = ImportOptions(progress="none", on_read=on_read)
    target = _target(provider, sandbox)
    summary = import_file(clients, target, options=options, ignore_unknown_columns=True)
    assert summary.counts["created"] == 1
    assert heard == [["Ignored (unknown columns): 'Favourite colour' (1 value)"]]


def test_the_command_line_and_import_file_build_the_same_target() -> None:
    """One builder: the CLI's target of --provider is `provider_target`'s, fingerprint and all."""
    import click

    from clientbridge.cli._base import CliContext
    from clientbridge.cli.target import TargetOptions, build_target

    name = _plain_provider()
    ctx = click.Context(click.Command("x"), obj=CliContext())
    from_cli = build_target(ctx, TargetOptions(provider=name, sandbox=True))
    from_python = provider_target(name, sandbox=True)
    assert from_cli.fingerprint == from_python.fingerprint
    assert from_cli.provider == from_python.provider
    assert from_cli.ephemeral
    assert from_python.ephemeral
