"""``clientbridge preview``: the requests a create would send, sending nothing; over
several connections, the coverage table (each field the client sets x each connection)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from clientbridge.cli._base import OUTPUT_OPTION, Command
from clientbridge.cli.clients import client_from_options, client_options
from clientbridge.cli.target import (
    ManyTargetOptions,
    build_target,
    build_targets,
    many_target_options,
)
from clientbridge.errors import ClientBridgeError, ConfigurationError
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    import clientbridge as cb
    from clientbridge.coverage import FieldCoverage

__all__ = ["preview"]


@click.command(cls=Command)
@many_target_options
@client_options
@OUTPUT_OPTION
@click.pass_context
def preview(
    ctx: click.Context, /, where: ManyTargetOptions, client: dict[str, Any], output: str
) -> None:
    """Print the requests a create would send, secrets redacted. Sends nothing.

    Values that need a look-up first (the LOOK-UPS column of `clientbridge providers`)
    show as placeholders. With several connections (--connection repeated, or
    --all-connections), print one table instead: each field the client sets against each
    connection, with the wire field it becomes or "dropped".

    \b
    Examples:
      clientbridge preview -p NAME --sandbox --company "Acme Corp" --email ops@acme.test
      clientbridge preview -c uk --json @client.json --output json
      clientbridge preview -c uk -c staffing --json @client.json
      clientbridge preview --all-connections --json @client.json --output json
    """
    from clientbridge.cli.render import format_request, request_json

    new_client = client_from_options(client)
    if where.several:
        _coverage(ctx, where, new_client, output)
        return
    target = build_target(ctx, where.single())
    with target.connect() as conn:
        try:
            requests = conn.preview(new_client)
        except ConfigurationError:
            raise
        except ClientBridgeError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(ExitCode.FAILED)
    if output == "json":
        click.echo(json.dumps([request_json(r) for r in requests], indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(format_request(request) for request in requests))


def _coverage(ctx: click.Context, where: ManyTargetOptions, client: cb.Client, output: str) -> None:
    """``preview`` over several connections: the coverage table, as text or JSON."""
    from clientbridge.coverage import field_coverage

    _, targets = build_targets(ctx, where)
    views: dict[str, cb.Preview] = {}
    refused: dict[str, ClientBridgeError] = {}
    for name, target in targets.items():
        with target.connect() as conn:
            try:
                views[name] = conn.preview(client)
            except ConfigurationError:
                raise
            except ClientBridgeError as error:
                refused[name] = error
    rows = field_coverage(client, views)
    providers = {name: target.provider for name, target in targets.items()}
    if output == "json":
        document = _coverage_json(providers, views, refused, rows)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(_coverage_text(providers, refused, rows))
    for name, refusal in refused.items():
        click.echo(f"{name}: refused: {refusal}", err=True)
    ctx.exit(ExitCode.FAILED if refused else ExitCode.OK)


def _coverage_text(
    providers: dict[str, str], refused: dict[str, ClientBridgeError], rows: list[FieldCoverage]
) -> str:
    from clientbridge.coverage import DROPPED

    table = [["FIELD", *(f"{name} ({provider})" for name, provider in providers.items())]]
    for row in rows:
        cells = [row.field]
        for name in providers:
            wire = row.wire.get(name, ())
            if name in refused:
                cells.append("(refused)")
            elif wire is None:
                cells.append(DROPPED)
            else:
                cells.append(", ".join(wire) or "sent")
        table.append(cells)
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def _coverage_json(
    providers: dict[str, str],
    views: dict[str, cb.Preview],
    refused: dict[str, ClientBridgeError],
    rows: list[FieldCoverage],
) -> dict[str, Any]:
    from clientbridge.coverage import DROPPED

    connections: dict[str, Any] = {}
    for name, provider in providers.items():
        if name in refused:
            connections[name] = {"provider": provider, "refused": str(refused[name])}
        else:
            connections[name] = {
                "provider": provider,
                "dropped_fields": list(views[name].dropped_fields),
                "warnings": list(views[name].warnings),
            }
    fields = {
        row.field: {
            name: DROPPED if wire is None else list(wire) for name, wire in row.wire.items()
        }
        for row in rows
    }
    return {"connections": connections, "fields": fields}
