"""``clientbridge check``: settings and credentials, with a harmless read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import click

import clientbridge as cb
from clientbridge.cli._base import Command, UsageFailure
from clientbridge.cli.target import TargetOptions, build_target, target_options
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    from clientbridge.importer import Target

__all__ = ["check"]


@click.command(cls=Command)
@target_options
@click.option("--all", "check_all", is_flag=True, help="Check every connection of the config file.")
@click.pass_context
def check(ctx: click.Context, /, where: TargetOptions, check_all: bool) -> None:
    """Verify settings and credentials, with a harmless read where the provider has one.

    Providers that document no read-only endpoint cannot have their credentials checked
    without creating a client: their settings are checked and the command says so.

    \b
    Examples:
      clientbridge check --connection staffing
      clientbridge check --all --config clientbridge.toml
      clientbridge check --provider NAME --set api_key=$API_KEY
    """
    if check_all:
        if where.connection or where.provider:
            raise UsageFailure("--all checks every connection; leave out --connection/--provider")
        config = cb.load_config(where.config_path)
        targets = [
            build_target(ctx, attrs.evolve(where, connection=name), config=config)
            for name in config.names()
        ]
    else:
        targets = [build_target(ctx, where)]
    failed = False
    for target in targets:
        ok, message = _check_target(target)
        failed = failed or not ok
        click.echo(f"{target.label}: {message}")
    ctx.exit(ExitCode.FAILED if failed else ExitCode.OK)


def _check_target(target: Target) -> tuple[bool, str]:
    with target.connect() as conn:
        result = conn.check_credentials()
    if not result.checked:
        return True, (
            f"settings are valid; the credential cannot be checked: the "
            f"{conn.display_name} adapter declares no harmless read to try it with, "
            "and only creating a client would prove it"
        )
    if result.error is not None:
        return False, f"FAILED: {result.error}"
    return True, f"ok (the credential was accepted: {result.request})"
