"""``clientbridge create``: one client from flags or JSON."""

from __future__ import annotations

from typing import Any

import click

from clientbridge.cli._base import Command, CommandFailed, output_option
from clientbridge.cli.clients import client_from_options, client_options
from clientbridge.cli.target import TargetOptions, build_target, target_options
from clientbridge.cli.terminal import say
from clientbridge.errors import ClientBridgeError, ConfigurationError, outcome_unknown

__all__ = ["create"]


@click.command(cls=Command)
@target_options
@client_options
@output_option
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
      clientbridge create -c staffing --client-json @client.json --json

    Exit code 1 when the provider refused the client; the message says whether it may
    have been created anyway. With --json, errors are printed as JSON too (on stdout).
    """
    from clientbridge.cli.output import echo_json, result_json

    target = build_target(ctx, where)
    new_client = client_from_options(client)
    with target.connect() as conn:
        try:
            result = conn.create(new_client)
        except ConfigurationError:
            raise
        except ClientBridgeError as error:
            advice = ""
            if outcome_unknown(error):
                advice = (
                    f"The client may have been created: check in {target.provider} before "
                    "creating it again."
                )
            raise CommandFailed(error, advice) from None
    if output == "json":
        echo_json({"ok": True, "target": target.label, "result": result_json(result)})
        return
    invite = f", invite {result.invite.value}" if result.invite else ""
    say(f"Created {result.id} in {target.label} (status {result.status.value}{invite})")
    for warning in result.warnings:
        say(f"  warning: {warning}")
