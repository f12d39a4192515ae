"""``clientbridge journal``: check an import journal, and recover a damaged one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from clientbridge.cli._base import Command, Group
from clientbridge.cli.target import TargetOptions, build_target, target_options
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    from clientbridge.importer.reading import Format

__all__ = ["journal"]


@click.group(cls=Group)
def journal() -> None:
    """Check an import journal, or recover a damaged one.

    A damaged journal is never used by an import, and never replaced by a new, empty one:
    that would send every row again. "clientbridge journal recover" rebuilds it from what
    it can still read and, for the rows it lost, from what the provider says.
    """


@journal.command("check", cls=Command)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check(path: Path) -> None:
    """Check the journal at PATH without changing it (exit 0 whole, 1 not).

    \b
    Example:
      clientbridge journal check clients.csv.journal.sqlite
    """
    from clientbridge.importer.rows.check import inspect

    health = inspect(path)
    click.echo(f"{path}: {health.status}")
    for key in ("source", "target", "created_at"):
        if key in health.meta:
            click.echo(f"  {key}: {health.meta[key]}")
    targets = sorted(key for key in health.meta if key.startswith("target:"))
    for key in targets:
        click.echo(f"  connection {key.removeprefix('target:')}: {health.meta[key]}")
    if health.states:
        rows = ", ".join(f"{count:,} {state}" for state, count in sorted(health.states.items()))
        click.echo(f"  rows read: {rows}")
    for problem in health.problems:
        click.echo(f"  problem: {problem}")
    if health.status in ("damaged", "empty"):
        click.echo(
            f"Recover it: clientbridge journal recover {path} FILE TARGET (the file and the "
            "target of the import). Do not delete it, and do not import with a new journal: "
            "every row would be sent again."
        )
    raise SystemExit(ExitCode.OK if health.ok else ExitCode.FAILED)


@journal.command("recover", cls=Command)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@target_options
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "jsonl", "xlsx", "vcard"]),
    default="auto",
    show_default=True,
    help="As given to the import.",
)
@click.option("--source-format", default="auto", metavar="NAME", help="As given to the import.")
@click.option("--encoding", metavar="NAME", help="As given to the import.")
@click.option("--sheet", metavar="NAME", help="As given to the import.")
@click.option(
    "--delimiter", type=click.Choice(["auto", ",", ";", "tab"]), default="auto", help="As given."
)
@click.option("--map", "mappings", metavar='"HEADER=FIELD"', multiple=True, help="As given.")
@click.option(
    "--mapping-file", type=click.Path(exists=True, dir_okay=False), help="As given to the import."
)
@click.option("--ignore-unknown-columns", is_flag=True, help="As given to the import.")
@click.pass_context
def recover(
    ctx: click.Context,
    /,
    path: Path,
    file: Path,
    where: TargetOptions,
    file_format: str,
    source_format: str,
    encoding: str | None,
    sheet: str | None,
    delimiter: str,
    mappings: tuple[str, ...],
    mapping_file: str | None,
    ignore_unknown_columns: bool,
) -> None:
    """Rebuild the damaged journal at PATH of the import of FILE into TARGET.

    What the journal can still read is kept. The rows of FILE it lost are looked up in
    the provider where it can be asked (found: created, with its id; not found: sent by
    the next import); where the provider refuses a second client with the same email,
    they are marked unknown and the next import sends them again (the provider settles
    each). Where the provider can be asked neither way, nothing is written. The damaged
    journal is kept as PATH.damaged; then run the same import command again.

    \b
    Example:
      clientbridge journal recover clients.csv.journal.sqlite clients.csv -c uk
    """
    from clientbridge import importer
    from clientbridge.importer.reading.columns import parse_mapping_option, read_mapping_file
    from clientbridge.importer.running.recovery import recover_journal

    target = build_target(ctx, where)
    mapping = read_mapping_file(mapping_file) if mapping_file else {}
    mapping.update(parse_mapping_option(mappings))
    with importer.open_source(
        file,
        format=cast("Format", file_format),
        mapping=mapping,
        ignore_unknown_columns=ignore_unknown_columns,
        delimiter={"auto": None, "tab": "\t"}.get(delimiter, delimiter),
        encoding=encoding,
        source_format=source_format,
        sheet=sheet,
    ) as source:
        recovery = recover_journal(path, source, target)
    kept = ", ".join(f"{count:,} {state}" for state, count in sorted(recovery.recovered.items()))
    click.echo(f"Recovered the journal {path}: rows read back: {kept or 'none'}.")
    if recovery.lost:
        click.echo(
            f"  {recovery.lost:,} rows of {file.name} were lost from it: "
            f"{recovery.found:,} found in {target.provider} (created), "
            f"{recovery.not_found:,} not found (sent by the next import), "
            f"{recovery.unknown:,} unknown (see the report of the next import)."
        )
    click.echo(f"The damaged journal is kept as {recovery.damaged}.")
    click.echo("Run the same import command again to resume.")
