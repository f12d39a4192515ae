"""``clientbridge import``: a CSV or JSON Lines file, streamed, concurrently, resumably."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs
import click

from clientbridge.cli._base import Command, UsageFailure, options_object, output_option
from clientbridge.cli.target import (
    ManyTargetOptions,
    import_targets,
    many_target_options,
)
from clientbridge.cli.terminal import ask_to_resend, on_a_terminal, say, say_somewhere
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clientbridge.importer import ImportOptions, SourceRow, Target
    from clientbridge.importer.errors import Advice
    from clientbridge.importer.reading import Format
    from clientbridge.importer.reading.frame import ReadNotes
    from clientbridge.importer.reporting.report import ProgressMode
    from clientbridge.wire import HttpRequest

__all__ = ["ImportFlags", "import_"]


@attrs.frozen(kw_only=True)
class ImportFlags:
    """The import command's own options (the file and the target aside)."""

    file_format: str
    source_format: str
    encoding: str | None
    sheet: str | None
    header_row: int | None
    delimiter: str
    mappings: tuple[str, ...]
    mapping_file: str | None
    ignore_unknown_columns: bool
    concurrency: int
    dry_run: bool
    show: str
    report: Path | None
    journal: Path | None
    no_journal: bool
    retry_failed: bool
    retry_unknown: bool
    yes: bool
    settle_after: float | None
    progress: str
    progress_interval: float
    exit_zero: bool


import_options = options_object(
    ImportFlags,
    "flags",
    [
        click.option(
            "--format",
            "file_format",
            type=click.Choice(["auto", "csv", "jsonl", "xlsx", "vcard"]),
            default="auto",
            show_default=True,
            help="auto: .jsonl/.ndjson are JSON Lines, .xlsx a workbook, .vcf vCards, else CSV.",
        ),
        click.option(
            "--source-format",
            default="auto",
            show_default=True,
            metavar="NAME",
            help="The export layout of a CSV or workbook (a CRM's or address book's export; "
            "docs/import.md lists them), 'generic', or auto: detected from the header.",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="The text encoding of a CSV or vCard file (e.g. cp1252); default: detected.",
        ),
        click.option(
            "--sheet", metavar="NAME", help="The sheet of a workbook to read (default: the first)."
        ),
        click.option(
            "--header-row",
            type=click.IntRange(min=1),
            metavar="N",
            help="The line (row of a sheet) the header is on; default: found among the "
            "first rows (a title, notes or blank rows above it are skipped).",
        ),
        click.option(
            "--delimiter",
            type=click.Choice(["auto", ",", ";", "tab"]),
            default="auto",
            show_default=True,
            help="CSV delimiter (auto: whichever splits the header into most columns).",
        ),
        click.option(
            "--map",
            "mappings",
            metavar='"HEADER=FIELD"',
            multiple=True,
            help='Read a column as a field ("Given name=first_name"); "HEADER=" ignores it. '
            "Repeatable.",
        ),
        click.option(
            "--mapping-file",
            type=click.Path(exists=True, dir_okay=False),
            help="Column mappings: a JSON object, a TOML table, or HEADER=FIELD lines.",
        ),
        click.option(
            "--ignore-unknown-columns",
            is_flag=True,
            help="Skip columns that match no field (they are listed, with their counts).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 256),
            default=8,
            show_default=True,
            help="Requests in flight at once.",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="Validate every row and show what would be sent (secrets redacted). "
            "Sends nothing.",
        ),
        click.option(
            "--show",
            default="3",
            show_default=True,
            metavar="N|all",
            help="With --dry-run: how many rows' requests to print.",
        ),
        click.option(
            "--report",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write a CSV with every row's outcome (row,outcome,id,error,warnings).",
        ),
        click.option(
            "--journal",
            type=click.Path(dir_okay=False, path_type=Path),
            help="The journal (default: FILE.journal.sqlite beside the file FILE resolves to, "
            "a symlink's target; with --sandbox, none unless given; needed for standard input).",
        ),
        click.option(
            "--no-journal",
            is_flag=True,
            help="Keep no journal: running again sends every row again.",
        ),
        click.option(
            "--retry-failed", is_flag=True, help="Send rows that failed in an earlier run again."
        ),
        click.option(
            "--retry-unknown",
            is_flag=True,
            help="Send rows whose earlier outcome is unknown again (an 'already exists' "
            "answer then counts as created). Without it they are looked up where the "
            "provider can be asked (and sent if not found after the settle window) or sent "
            "again where it refuses a duplicate email; else never sent. Rows nothing can "
            "check are listed and confirmed first (--yes off a terminal).",
        ),
        click.option(
            "--yes",
            "-y",
            is_flag=True,
            help="With --retry-unknown: send again without asking the unknown rows nothing "
            "can check (each one an earlier run did create is then created twice).",
        ),
        click.option(
            "--settle-after",
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            help="An earlier run's request has arrived or never will after this long: an "
            "unknown row a look-up then does not find is sent (default: the connection's "
            "timeout plus 10 s).",
        ),
        click.option(
            "--progress",
            type=click.Choice(["auto", "bar", "plain", "none"]),
            default="auto",
            show_default=True,
            help="auto: a bar on a terminal, a line every few seconds otherwise.",
        ),
        click.option("--progress-interval", type=float, default=5.0, hidden=True),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when some rows failed."),
    ],
)


@click.command("import", cls=Command)
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@many_target_options
@import_options
@output_option
@click.pass_context
def import_(
    ctx: click.Context, /, file: Path, where: ManyTargetOptions, flags: ImportFlags, output: str
) -> None:
    """Import clients from a CSV, Excel, vCard or JSON Lines FILE, streamed, resumably.

    CSV columns are Client fields (first_name, email, phone, company_name...), address
    parts (address_line1... address_postal_code, address_country) and custom.<key>;
    common spellings (First Name, Email Address, Mobile, Postcode, Zip, Company,
    Address 1...) are understood, and so are the exports of common CRMs and address
    books (the layout is detected from the header). The encoding is detected before
    anything is sent. JSON Lines hold one client object per line.

    FILE may be - (standard input) or a pipe, read as a stream. A CSV file whose stray
    quote would swallow the rows after it is refused before anything is sent.

    A journal next to FILE records every row, so running the same command again
    resumes (rows are known by their external id, else their content, so the file may
    be edited between runs): created rows are skipped, failed rows are sent again only with
    --retry-failed, and rows that may have been created are looked up where the provider
    can be asked (and sent if not found once --settle-after has passed), sent again where
    it refuses a second email, and otherwise never sent on their own (--retry-unknown
    does, after a confirmation or with --yes). Ctrl-C stops cleanly.

    Several connections at once (--connection repeated, or --all-connections, following
    the config file's routes): one journal with one state per row and connection, and
    one report line per row and connection; a row that fails in one connection is still
    created in the others, and running again sends only what is missing where.

    \b
    Examples:
      clientbridge import examples/clients.csv --provider NAME --sandbox --report report.csv
      clientbridge import clients.csv -c uk --concurrency 16 --report report.csv
      clientbridge import export.csv -c uk --map "Given name=first_name" --map "Notes=" --dry-run
      clientbridge import clients.jsonl -c staffing --retry-failed
      clientbridge import clients.csv -c uk -c staffing --report report.csv
      clientbridge import clients.csv --all-connections --retry-failed
      clientbridge import clients.csv -c uk --json > summary.json
    """
    from clientbridge.importer.rows.check import JournalDamagedError, check_output_paths

    targets = import_targets(ctx, where)
    journal_path = _journal_path(file, flags, list(targets.values()))
    check_output_paths(file, journal=journal_path, report=flags.report)
    try:
        _import(ctx, file, where, flags, targets, journal_path, output)
    except JournalDamagedError as error:
        if not error.recoverable:
            raise
        raise UsageFailure(
            f"{error}\nSee what it holds: clientbridge journal check {error.path}\n"
            f"Recover it: clientbridge journal recover {error.path} {file} with the target "
            "options of this command"
        ) from None


def _import(
    ctx: click.Context,
    file: Path,
    where: ManyTargetOptions,
    flags: ImportFlags,
    targets: dict[str, Target],
    journal_path: Path | None,
    output: str,
) -> None:
    from clientbridge import importer
    from clientbridge.cli.output import echo_json, import_document, preview_rows_json
    from clientbridge.cli.render import format_request
    from clientbridge.importer.reading.columns import parse_mapping_option, read_mapping_file
    from clientbridge.importer.running.modes import fanout_exit_code

    mapping = read_mapping_file(flags.mapping_file) if flags.mapping_file else {}
    mapping.update(parse_mapping_option(flags.mappings))
    show_count = _show_count(flags.show)
    printed = 0
    as_json = output == "json"
    previews: list[dict[str, Any]] = []  # a dry run's requests, in JSON mode

    def on_preview(row: SourceRow, requests: list[HttpRequest]) -> None:
        nonlocal printed
        if printed < show_count:
            printed += 1
            if as_json:
                previews.append(preview_rows_json(row.line, requests))
            else:
                say(f"row {row.line}: " + "\n".join(format_request(r) for r in requests))

    options = importer.ImportOptions(
        concurrency=flags.concurrency,
        retry_failed=flags.retry_failed,
        retry_unknown=flags.retry_unknown,
        resend_unchecked=flags.yes,
        confirm_unchecked=ask_to_resend if on_a_terminal() else None,
        settle_after=flags.settle_after,
        progress=cast("ProgressMode", flags.progress),
        progress_interval=flags.progress_interval,
        on_preview=on_preview if flags.dry_run else None,
        advice=_flag_advice(),
        on_read=_say_read_notes,
    )
    if where.several and flags.dry_run and flags.report is not None:
        raise UsageFailure(
            "--dry-run with several connections writes no report; leave out --report"
        )
    target = targets if where.several else targets[""]
    try:
        result = importer.import_file(
            file,
            target,
            journal=journal_path,
            report=flags.report,
            **_file_options(flags, options, mapping),
        )
    except KeyboardInterrupt:
        _interrupted(ctx, as_json)
    summaries = result if isinstance(result, dict) else {"": result}
    code = fanout_exit_code(summaries) if where.several else summaries[""].exit_code
    if flags.exit_zero and code == ExitCode.FAILED:
        code = ExitCode.OK
    if as_json:
        echo_json(import_document(summaries, code, previews, options.advice))
        ctx.exit(code)
    valid = sum(summary.counts["valid"] for summary in summaries.values())
    if flags.dry_run and not where.several and 0 < printed < valid:
        say(f"(requests of {valid - printed:,} more valid rows not shown; --show all prints them)")
    texts = (importer.format_summary(summary, options.advice) for summary in summaries.values())
    say_somewhere("\n\n".join(texts))
    ctx.exit(code)


def _interrupted(ctx: click.Context, as_json: bool) -> None:
    if as_json:
        from clientbridge.cli.output import echo_json, failure_document

        echo_json(failure_document(KeyboardInterrupt(), ExitCode.INTERRUPTED))
    else:
        say("Interrupted.", err=True)
    ctx.exit(ExitCode.INTERRUPTED)


def _flag_advice() -> Advice:
    """The importer's remedies in this command's words: its flags."""
    from clientbridge.importer.errors import Advice

    return Advice(
        retry_unknown_row="--retry-unknown sends it again",
        retry_unknown_rows="--retry-unknown sends them again",
        retry_failed_row="--retry-failed sends it again",
        retry_failed_rows="--retry-failed also sends the unchanged ones again",
        full_report="with --report PATH",
        journal_elsewhere="choose another place with --journal",
        journal_on_local_disk="put it on a local disk with --journal",
        another_journal="pass another --journal path",
        new_journal="Pass --journal with a new path",
        resend_unchecked="if they do not exist there, pass --yes to send them anyway",
        settle_window="--settle-after SECONDS changes it",
        column_mapping="--map",
        map_columns='map {them} with --map "HEADER=FIELD"',
        ignore_unknown_columns="pass --ignore-unknown-columns to skip {them}",
        ignore_column='--map "{header}="',
    )


def _file_options(
    flags: ImportFlags, options: ImportOptions, mapping: Mapping[str, str]
) -> dict[str, Any]:
    """`import_file`'s keyword arguments from the command's flags."""
    return {
        "dry_run": flags.dry_run,
        "options": options,
        "format": cast("Format", flags.file_format),
        "mapping": mapping,
        "ignore_unknown_columns": flags.ignore_unknown_columns,
        "delimiter": {"auto": None, "tab": "\t"}.get(flags.delimiter, flags.delimiter),
        "encoding": flags.encoding,
        "source_format": flags.source_format,
        "sheet": flags.sheet,
        "header_row": flags.header_row,
    }


def _say_read_notes(notes: ReadNotes) -> None:
    for line in notes.before_lines():
        click.echo(line, err=True)


def _journal_path(file: Path, flags: ImportFlags, targets: list[Target]) -> Path | None:
    """``--journal``, else FILE.journal.sqlite beside the file FILE resolves to (a symlink
    or another spelling of the path finds the same journal); none for a dry run,
    ``--no-journal``, or an in-process sandbox (nothing to resume in a sandbox that
    forgets at exit)."""
    if flags.no_journal and flags.journal:
        raise UsageFailure("give --journal or --no-journal, not both")
    if flags.no_journal or flags.dry_run:
        return None
    if flags.journal is not None:
        return flags.journal
    if all(target.ephemeral for target in targets):
        return None
    if file == Path("-"):
        raise UsageFailure(
            "reading standard input, name the journal with --journal PATH (running the same "
            "command again then resumes), or pass --no-journal"
        )
    data = file.resolve()  # the journal follows the data, not the name it was reached by
    return data.with_name(data.name + ".journal.sqlite")


def _show_count(show: str) -> int:
    if show.strip().lower() == "all":
        return sys.maxsize
    try:
        count = int(show)
    except ValueError:
        raise UsageFailure(f"--show {show!r}: give a number or 'all'") from None
    if count < 0:
        raise UsageFailure("--show must not be negative")
    return count
