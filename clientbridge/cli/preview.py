"""``clientbridge preview``: the requests a create would send, sending nothing."""

from __future__ import annotations

import json
from typing import Any

import click

from clientbridge.cli._base import OUTPUT_OPTION, Command
from clientbridge.cli.clients import client_from_options, client_options
from clientbridge.cli.target import TargetOptions, build_target, target_options
from clientbridge.errors import ClientBridgeError, ConfigurationError
from clientbridge.exit_codes import ExitCode

__all__ = ["preview"]


@click.command(cls=Command)
@target_options
@client_options
@OUTPUT_OPTION
@click.pass_context
def preview(
    ctx: click.Context, /, where: TargetOptions, client: dict[str, Any], output: str
) -> None:
    """Print the requests a create would send, secrets redacted. Sends nothing.

    Values that need a look-up first (the LOOK-UPS column of `clientbridge providers`)
    show as placeholders.

    \b
    Examples:
      clientbridge preview -p NAME --sandbox --company "Acme Corp" --email ops@acme.test
      clientbridge preview -c uk --json @client.json --output json
    """
    from clientbridge.cli.render import format_request, request_json

    target = build_target(ctx, where)
    new_client = client_from_options(client)
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
