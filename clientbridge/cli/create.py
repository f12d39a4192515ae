"""``clientbridge create``: one client from flags or JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from clientbridge.cli._base import OUTPUT_OPTION, Command
from clientbridge.cli.clients import client_from_options, client_options
from clientbridge.cli.target import TargetOptions, build_target, target_options
from clientbridge.errors import ClientBridgeError, ConfigurationError, outcome_unknown
from clientbridge.exit_codes import ExitCode

__all__ = ["create"]


@click.command(cls=Command)
@target_options
@client_options
@OUTPUT_OPTION
@click.pass_context
def create(
    ctx: click.Context, /, where: TargetOptions, client: dict[str, Any], output: str
) -> None:
    """Create one client from flags or JSON, and print the result.

    \b
    Examples:
      clientbridge create --provider NAME --sandbox --name "Ada Lovelace" --email ada@example.com
      clientbridge create -c uk --first-name Ada --last-name Lovelace \\
          --email ada@example.com --phone "07911 123456" --postal-code "SW1A 1AA"
      clientbridge create -c staffing --json @client.json --output json

    Exit code 1 when the provider refused the client; the message says whether it may
    have been created anyway.
    """
    from clientbridge.cli.render import result_json

    target = build_target(ctx, where)
    new_client = client_from_options(client)
    with target.connect() as conn:
        try:
            result = conn.create(new_client)
        except ConfigurationError:
            raise
        except ClientBridgeError as error:
            click.echo(f"Error: {error}", err=True)
            if outcome_unknown(error):
                click.echo(
                    f"The client may have been created: check in {target.provider} before "
                    "creating it again.",
                    err=True,
                )
            ctx.exit(ExitCode.FAILED)
    if output == "json":
        click.echo(json.dumps(result_json(result), indent=2, ensure_ascii=False, default=str))
        return
    invite = f", invite {result.invite.value}" if result.invite else ""
    click.echo(f"Created {result.id} in {target.label} (status {result.status.value}{invite})")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
