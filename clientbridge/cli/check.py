"""``clientbridge check``: settings and credentials, with a harmless read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import click

from clientbridge.cli._base import Command, UsageFailure, output_option
from clientbridge.cli.target import TargetOptions, build_target, load_config_file, target_options
from clientbridge.cli.terminal import say
from clientbridge.errors import ConfigurationError
from clientbridge.exit_codes import ExitCode

if TYPE_CHECKING:
    from clientbridge.result import CredentialCheck

__all__ = ["check"]


@attrs.frozen
class _Checked:
    """One target's outcome: its check, or why it could not be used as configured."""

    label: str
    provider: str
    outcome: CredentialCheck | ConfigurationError
    display_name: str = ""

    @property
    def ok(self) -> bool:
        return not isinstance(self.outcome, ConfigurationError) and self.outcome.error is None


@click.command(cls=Command)
@target_options
@click.option("--all", "check_all", is_flag=True, help="Check every connection of the config file.")
@output_option
@click.pass_context
def check(ctx: click.Context, /, where: TargetOptions, check_all: bool, output: str) -> None:
    """Verify settings and credentials, with a harmless read where the provider has one.

    Providers that document no read-only endpoint cannot have their credentials checked
    without creating a client: their settings are checked and the command says so.

    With --all every connection is checked, even after one that cannot be used (an
    environment variable its settings name is not set, a setting is wrong); every missing
    variable is listed at the end. Exit 0 all passed, 1 a credential was refused or a
    provider could not be reached, 2 a connection cannot be used as configured.

    \b
    Examples:
      clientbridge check --connection staffing
      clientbridge check --all --config clientbridge.toml
      clientbridge check --all --json
      clientbridge check --provider NAME --set api_key=$API_KEY
    """
    if check_all:
        if where.connection or where.provider:
            raise UsageFailure("--all checks every connection; leave out --connection/--provider")
        checked, missing = _check_every_connection(ctx, where)
    else:
        target = build_target(ctx, where)
        checked, missing = [_check_target(target.label, target.provider, target.connect)], []
    if any(isinstance(item.outcome, ConfigurationError) for item in checked):
        code = ExitCode.USAGE
    else:
        code = ExitCode.OK if all(item.ok for item in checked) else ExitCode.FAILED
    if output == "json":
        _print_json(checked, missing, code)
    else:
        for item in checked:
            say(f"{item.label}: {_message(item)}")
        if missing:
            click.echo(
                f"Not set: {', '.join(missing)} (environment variables the config file names)"
            )
    ctx.exit(code)


def _check_every_connection(
    ctx: click.Context, where: TargetOptions
) -> tuple[list[_Checked], list[str]]:
    """Each connection checked, and every environment variable they name that is not set."""
    config = load_config_file(where.config_path)
    checked = []
    missing: dict[str, None] = {}
    for name in config.names():
        entry = config[name]
        missing.update(dict.fromkeys(entry.missing_variables))
        label = f"connection {name!r} ({entry.provider})"
        try:
            target = build_target(ctx, attrs.evolve(where, connection=name), config=config)
        except ConfigurationError as error:
            checked.append(_Checked(label, entry.provider, error))
            continue
        checked.append(_check_target(target.label, target.provider, target.connect))
    return checked, list(missing)


def _check_target(label: str, provider: str, connect: Any) -> _Checked:
    try:
        with connect() as conn:
            result = conn.check_credentials()
            display_name = conn.display_name
    except ConfigurationError as error:
        return _Checked(label, provider, error)
    return _Checked(label, provider, result, display_name)


def _message(item: _Checked) -> str:
    outcome = item.outcome
    if isinstance(outcome, ConfigurationError):
        return f"CANNOT BE USED: {outcome}"
    if not outcome.checked:
        return (
            f"settings are valid; the credential cannot be checked: the "
            f"{item.display_name} adapter declares no harmless read to try it with, "
            "and only creating a client would prove it"
        )
    if outcome.error is not None:
        return f"FAILED: {outcome.error}"
    return f"ok (the credential was accepted: {outcome.request})"


def _print_json(checked: list[_Checked], missing: list[str], code: int) -> None:
    from clientbridge.cli.output import check_json, echo_json

    echo_json(
        {
            "ok": code == ExitCode.OK,
            "exit_code": code,
            "targets": [
                check_json(item.label, item.provider, item.outcome, _message(item))
                for item in checked
            ],
            "missing_variables": missing,
        }
    )
