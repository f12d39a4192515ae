"""The importer from Python: `import_file` imports a file into a provider in one call.

    from clientbridge.importer import import_file

    summary = import_file("clients.csv", "PROVIDER", journal="clients.journal.sqlite",
                          report="report.csv", api_key=..., workspace=...)
    print(summary.counts["created"], summary.exit_code)

It is what ``clientbridge import`` does, without the command line: the same decisions,
journal, resume and report. Its messages say what to do without naming any flag.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.reading import Format, open_source
from clientbridge.importer.running.modes import run_dry, run_fanout_import
from clientbridge.importer.running.options import ImportOptions, Target, journal_fingerprint
from clientbridge.importer.running.run import run_import

if TYPE_CHECKING:
    from clientbridge.importer.reporting.summary import ImportSummary

__all__ = ["build_target", "import_file", "provider_target"]

_C = TypeVar("_C")

#: An import from Python shows no progress unless asked to.
_QUIET = ImportOptions(progress="none")


def provider_target(
    provider: str,
    *,
    transport_for: Callable[[bool], object] | None = None,
    **settings: Any,
) -> Target:
    """The `Target` of an import into ``provider`` with ``settings`` (those of
    `clientbridge.connect`), checked now: a missing or unknown setting raises
    `ConfigurationError` before anything is read or sent.

    ``transport_for(asynchronous)`` gives the httpx transport of each connection the
    import opens (a sync one for a dry run, an async one to send): a test's seam.
    """
    return build_target(provider, settings, transport_for=transport_for)


def build_target(
    provider: str,
    settings: Mapping[str, Any],
    *,
    label: str | None = None,
    where: str = "",
    transport_for: Callable[[bool], object] | None = None,
    sandbox_forgets: bool | None = None,
) -> Target:
    """The one `Target` builder (`provider_target` and the command line's options).

    ``label`` names the target in messages (the provider, and "(sandbox)", by default);
    ``where`` is the place of the config file's entry it comes from (for messages about
    its settings); the journal knows the target by its account, never by a name.
    ``sandbox_forgets``: whether a sandbox target keeps its records only until the
    process ends (by default, unless ``transport_for`` replaces the in-process sandbox).
    """
    import clientbridge as cb
    from clientbridge.registry import adapter_class, canonical_name
    from clientbridge.settings import resolve_settings

    name = canonical_name(provider)
    adapter = adapter_class(name)
    values, connection_options = resolve_settings(adapter, settings, where=where)
    sandbox = connection_options.sandbox
    raw = dict(settings)

    def opener(open_: Callable[..., _C], asynchronous: bool) -> Callable[..., _C]:
        def connect(**extra: Any) -> _C:
            transport = {"transport": transport_for(asynchronous)} if transport_for else {}
            return open_(name, **raw, **transport, **extra)

        return connect

    if sandbox_forgets is None:
        sandbox_forgets = transport_for is None
    return Target(
        provider=name,
        label=label if label is not None else f"{name} (sandbox)" if sandbox else name,
        fingerprint=journal_fingerprint(adapter, values, sandbox=sandbox),
        connect=opener(cb.connect, asynchronous=False),
        connect_async=opener(cb.connect_async, asynchronous=True),
        ephemeral=sandbox and sandbox_forgets,
    )


@overload
def import_file(
    path: str | os.PathLike[str],
    target: str | Target,
    *,
    journal: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    options: ImportOptions = _QUIET,
    format: Format = "auto",
    mapping: Mapping[str, str] | None = None,
    ignore_unknown_columns: bool = False,
    source_format: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    **settings: Any,
) -> ImportSummary: ...


@overload
def import_file(
    path: str | os.PathLike[str],
    target: Mapping[str, Target],
    *,
    journal: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    options: ImportOptions = _QUIET,
    format: Format = "auto",
    mapping: Mapping[str, str] | None = None,
    ignore_unknown_columns: bool = False,
    source_format: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
) -> dict[str, ImportSummary]: ...


def import_file(
    path: str | os.PathLike[str],
    target: str | Target | Mapping[str, Target],
    *,
    journal: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    options: ImportOptions = _QUIET,
    format: Format = "auto",
    mapping: Mapping[str, str] | None = None,
    ignore_unknown_columns: bool = False,
    source_format: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    **settings: Any,
) -> ImportSummary | dict[str, ImportSummary]:
    """Import the file at ``path`` into ``target`` and return what happened.

    ``target`` is a provider name (its ``settings`` are `clientbridge.connect`'s) or a
    `Target` (see `provider_target`); a mapping of connection names to targets imports
    into each of them at once (one journal with a state per row and connection, one
    report with a ``connection`` column) and returns a summary per connection. With a
    ``journal`` (an SQLite file, created if missing) an interrupted or partly failed
    import is run again safely: rows created earlier are skipped, rows that may have been
    created are not sent on their own. The ``report`` is a CSV with one line per row.
    ``dry_run`` validates the rows and sends nothing. ``options`` are the `ImportOptions`
    (concurrency, retries, progress); the file options are `open_source`'s.

    Raises `ImportSetupError` when the import cannot start (an unknown column, a journal
    of another file) and `ConfigurationError` for a bad setting; a row never raises: its
    outcome is in the summary's ``counts`` and ``problems`` and in the report.
    """
    if isinstance(target, str):
        target = provider_target(target, **settings)
    elif settings:
        raise TypeError("settings go with a provider name, not with a Target")
    report_path = Path(report) if report is not None else None
    journal_path = Path(journal) if journal is not None and not dry_run else None
    if dry_run and report_path is not None and not isinstance(target, Target):
        raise ImportSetupError("a dry run into several connections writes no report")
    with open_source(
        path,
        format=format,
        mapping=mapping,
        ignore_unknown_columns=ignore_unknown_columns,
        delimiter=delimiter,
        encoding=encoding,
        source_format=source_format,
        sheet=sheet,
        advice=options.advice,
        header_row=header_row,
    ) as source:
        if options.on_read is not None:
            options.on_read(source.notes)
        if isinstance(target, Target):
            if dry_run:
                return run_dry(source, target, options, report=report_path)
            return run_import(source, target, options, journal=journal_path, report=report_path)
        if not dry_run:
            return run_fanout_import(
                source, target, options, journal=journal_path, report=report_path
            )
        summaries = {}
        for name, each in target.items():
            with source.reopen() as reading:
                summaries[name] = run_dry(reading, each, options, report=None)
        return summaries
