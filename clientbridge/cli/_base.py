"""The click plumbing every command shares: the context object, usage failures, and
the command/group classes that keep stray arguments (maybe credentials) out of messages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import attrs
import click

from clientbridge.errors import ConfigurationError
from clientbridge.exit_codes import ExitCode

__all__ = [
    "OUTPUT_OPTION",
    "CliContext",
    "Command",
    "Group",
    "UsageFailure",
    "cli_context",
    "options_object",
]

TransportFactory = Callable[[str, bool], Any]
F = TypeVar("F", bound=Callable[..., Any])


class CliContext:
    """What the commands share. Tests pass their own to `CliRunner.invoke` as ``obj``:
    ``transport_factory(provider, asynchronous)`` supplies the httpx transport of every
    connection a command opens (e.g. an ``httpx.MockTransport``)."""

    def __init__(self, transport_factory: TransportFactory | None = None) -> None:
        self.transport_factory = transport_factory


def cli_context(ctx: click.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    return obj if obj is not None else CliContext()


class UsageFailure(click.ClickException):
    """A usage or configuration error: printed without a traceback, exit code 2."""

    exit_code = ExitCode.USAGE


class Command(click.Command):
    """A command that does not quote stray arguments back, as click would: after
    ``--set api_key $KEY`` (a space for the ``=``) the stray word is the credential."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        try:
            extra = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if extra and not allowed and not ctx.resilient_parsing:
            what = (
                "an unexpected argument"
                if len(extra) == 1
                else f"{len(extra)} unexpected arguments"
            )
            ctx.fail(
                f"got {what} (not shown: it may be a credential); settings are given as "
                "--set KEY=VALUE"
            )
        return extra


class Group(click.Group):
    """A group whose commands are `Command`s and whose configuration errors (including
    the importer's set-up errors) are usage failures, exit code 2."""

    command_class = Command
    group_class = type  # a sub-group is a `Group` too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            raise UsageFailure(str(error)) from None


OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text for people, or JSON for scripts.",
)


def options_object(
    cls: type[Any], into: str, options: Sequence[Callable[[F], F]]
) -> Callable[[F], F]:
    """A decorator stack of click ``options`` whose values reach the command as one
    ``cls`` instance (an attrs class with a field per option), as its ``into`` argument."""
    names = [field.name for field in attrs.fields(cls)]

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def command(*args: Any, **kwargs: Any) -> Any:
            kwargs[into] = cls(**{name: kwargs.pop(name) for name in names})
            return function(*args, **kwargs)

        decorated = cast("F", command)
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate
