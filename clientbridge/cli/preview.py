"""``clientbridge preview``: the requests a create would send, sending nothing; over
several connections, the coverage table (each field the client sets x each connection)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from clientbridge.cli._base import Command, CommandFailed, output_option
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
    from clientbridge.wire import Preview

__all__ = ["preview"]


@click.command(cls=Command)
@many_target_options
@client_options
@output_option
@click.pass_context
def preview(
    ctx: click.Context, /, where: ManyTargetOptions, client: dict[str, Any], output: str
) -> None:
    """Print the requests a create would send, secrets redacted. Sends nothing.

    Values that need a look-up first (the LOOK-UPS column of "clientbridge providers")
    show as placeholders. After the requests come the client's fields the provider would
    not be sent (and why), and the create's warnings. With several connections
    (--connection repeated, or --all-connections), print one table instead: each field the
    client sets against each connection, with the wire field it becomes or "dropped".

    \b
    Examples:
      clientbridge preview -p NAME --sandbox --company "Acme Corp" --email ops@acme.test
      clientbridge preview -c uk --client-json @client.json --json
      clientbridge preview -c uk -c staffing --client-json @client.json
      clientbridge preview --all-connections --client-json @client.json --output json
    """
    from clientbridge.cli.output import echo_json, preview_json
    from clientbridge.cli.render import format_request

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
            raise CommandFailed(error) from None
        reasons = {field: conn.dropped_reason(field) for field in requests.dropped_fields}
    if output == "json":
        echo_json({"ok": True, "target": target.label, **preview_json(requests, reasons)})
        return
    click.echo("\n\n".join(format_request(request) for request in requests))
    for line in _what_is_not_sent(requests, reasons):
        click.echo(line)


def _what_is_not_sent(requests: Preview, reasons: dict[str, str]) -> list[str]:
    """The fields the create would drop (each with why) and its warnings, for people."""
    lines = []
    if requests.dropped_fields:
        lines += ["", "Not sent:"]
        lines += [f"  {field}: {reason}" for field, reason in reasons.items()]
    if requests.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  {warning}" for warning in requests.warnings]
    return lines


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
        from clientbridge.cli.output import echo_json

        echo_json(_coverage_json(providers, views, refused, rows))
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
    return {"ok": not refused, "connections": connections, "fields": fields}
