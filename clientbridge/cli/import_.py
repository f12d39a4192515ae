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
    build_target,
    build_targets,
    many_target_options,
)
from clientbridge.cli.terminal import say, say_somewhere
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from clientbridge.importer import ImportOptions, ImportSummary, Source, SourceRow, Target
    from clientbridge.importer.advice import Advice
    from clientbridge.importer.progress import ProgressMode
    from clientbridge.importer.source import Format
    from clientbridge.model import Client
    from clientbridge.routing import Routing
    from clientbridge.wire import HttpRequest

__all__ = ["ImportFlags", "import_"]


@attrs.frozen(kw_only=True)
class ImportFlags:
    """The import command's own options (the file and the target aside)."""

    file_format: str
    source_format: str
    encoding: str | None
    sheet: str | None
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
            "--ignore-unknown-columns", is_flag=True, help="Skip columns that match no field."
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
    from clientbridge.importer.journal_check import JournalDamagedError
    from clientbridge.importer.outputs import check_output_paths

    targets = _targets(ctx, where)
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
    from clientbridge.cli.output import preview_rows_json
    from clientbridge.cli.render import format_request
    from clientbridge.importer.mapping import parse_mapping_option, read_mapping_file

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
        confirm_unchecked=_ask_to_resend if on_a_terminal() else None,
        settle_after=flags.settle_after,
        progress=cast("ProgressMode", flags.progress),
        progress_interval=flags.progress_interval,
        on_preview=on_preview if flags.dry_run else None,
        advice=_flag_advice(),
    )
    with importer.open_source(
        file,
        format=cast("Format", flags.file_format),
        mapping=mapping,
        ignore_unknown_columns=flags.ignore_unknown_columns,
        delimiter={"auto": None, "tab": "\t"}.get(flags.delimiter, flags.delimiter),
        encoding=flags.encoding,
        source_format=flags.source_format,
        sheet=flags.sheet,
        advice=options.advice,
    ) as source:
        if where.several:
            _import_several(ctx, source, targets, options, flags, journal_path, previews, as_json)
            return
        [target] = targets.values()
        try:
            if flags.dry_run:
                summary = importer.run_dry(source, target, options, report=flags.report)
            else:
                summary = importer.run_import(
                    source, target, options, journal=journal_path, report=flags.report
                )
        except KeyboardInterrupt:
            _interrupted(ctx, as_json)
    code = _exit_code(summary, flags.exit_zero)
    if as_json:
        _print_json({"": summary}, code, previews, options.advice)
        ctx.exit(code)
    if flags.dry_run and 0 < printed < summary.counts["valid"]:
        say(
            f"(requests of {summary.counts['valid'] - printed:,} more valid rows not shown; "
            "--show all prints them)"
        )
    say_somewhere(importer.format_summary(summary, options.advice))
    ctx.exit(code)


def _interrupted(ctx: click.Context, as_json: bool) -> None:
    if as_json:
        from clientbridge.cli.output import echo_json, failure_document

        echo_json(failure_document(KeyboardInterrupt(), ExitCode.INTERRUPTED))
    else:
        say("Interrupted.", err=True)
    ctx.exit(ExitCode.INTERRUPTED)


def _print_json(
    summaries: Mapping[str, ImportSummary],
    code: int,
    previews: list[dict[str, Any]],
    advice: Advice,
) -> None:
    from clientbridge.cli.output import echo_json, import_document

    echo_json(import_document(summaries, code, previews, advice))


def _flag_advice() -> Advice:
    """The importer's remedies in this command's words: its flags."""
    from clientbridge.importer.advice import Advice

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


def on_a_terminal() -> bool:
    """Whether a person can answer a question (standard input and output are a terminal)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask_to_resend(reason: str, lines: Sequence[int]) -> bool:
    """Say why unknown rows would be re-sent without a check, and ask (after checking them
    in the provider, the user knows which do not exist)."""
    click.echo(reason)
    them = "it" if len(lines) == 1 else "them"
    try:
        return click.confirm(
            f"Send {them} again without a check (check {them} in the provider first)?",
            default=False,
        )
    except click.Abort:  # Ctrl-C or the end of the input: a no
        click.echo()
        return False


def _targets(ctx: click.Context, where: ManyTargetOptions) -> dict[str, Target]:
    """The target of each connection (one, unnamed, for a single-target import); several
    connections follow the config file's routes."""
    if not where.several:
        return {"": build_target(ctx, where.single())}
    config, targets = build_targets(ctx, where)
    routing = config.routing
    if routing is None:
        return targets
    return {
        name: attrs.evolve(target, accepts=_routed_to(routing, name))
        for name, target in targets.items()
    }


def _routed_to(routing: Routing, name: str) -> Callable[[Client], bool]:
    def accepts(client: Client) -> bool:
        return name in routing.connections_for(client)

    return accepts


def _import_several(
    ctx: click.Context,
    source: Source,
    targets: dict[str, Target],
    options: ImportOptions,
    flags: ImportFlags,
    journal_path: Path | None,
    previews: list[dict[str, Any]],
    as_json: bool,
) -> None:
    """``import`` into several connections: a summary per connection, then the total."""
    from clientbridge import importer
    from clientbridge.importer.fanout import fanout_exit_code, run_fanout_import

    try:
        if flags.dry_run:
            if flags.report is not None:
                raise UsageFailure(
                    "--dry-run with several connections writes no report; leave out --report"
                )
            summaries = {}
            for name, target in targets.items():
                with source.reopen() as reading:
                    summaries[name] = importer.run_dry(reading, target, options, report=None)
        else:
            summaries = run_fanout_import(
                source, targets, options, journal=journal_path, report=flags.report
            )
    except KeyboardInterrupt:
        _interrupted(ctx, as_json)
    code = fanout_exit_code(summaries)
    if flags.exit_zero and code == ExitCode.FAILED:
        code = ExitCode.OK
    if as_json:
        _print_json(summaries, code, previews, options.advice)
    else:
        summaries_text = (
            importer.format_summary(summary, options.advice) for summary in summaries.values()
        )
        say_somewhere("\n\n".join(summaries_text))
    ctx.exit(code)


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


def _exit_code(summary: ImportSummary, exit_zero: bool) -> int:
    code = summary.exit_code
    if exit_zero and code == ExitCode.FAILED:
        return ExitCode.OK
    return code
