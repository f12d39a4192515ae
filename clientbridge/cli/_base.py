"""The click plumbing every command shares: the context object, usage failures, and
the command/group classes that keep stray arguments (maybe credentials) out of messages."""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable, Sequence
from typing import IO, Any, TypeVar, cast

import attrs
import click

from clientbridge.cli.terminal import printable
from clientbridge.errors import ClientBridgeError, ConfigurationError
from clientbridge.exit_codes import ExitCode

__all__ = [
    "CliContext",
    "Command",
    "CommandFailed",
    "Group",
    "UsageFailure",
    "cli_context",
    "json_requested",
    "options_object",
    "output_option",
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


class _Failure(click.ClickException):
    """A failure printed for people: control characters (from a provider's answer, a
    file) spelled out, and a closed standard error is no reason for a traceback."""

    def format_message(self) -> str:
        return printable(self.message)

    def show(self, file: IO[Any] | None = None) -> None:
        try:
            super().show(file)
        except OSError as error:
            if error.errno not in (errno.EPIPE, errno.EIO):
                raise


class UsageFailure(_Failure):
    """A usage or configuration error: printed without a traceback, exit code 2."""

    exit_code = ExitCode.USAGE


class CommandFailed(_Failure):
    """The provider refused the command's request, or the client is not valid: exit 1.

    Printed as ``Error: <error>`` then ``advice``, or in JSON mode as the error document.
    """

    exit_code = ExitCode.FAILED

    def __init__(self, error: ClientBridgeError, advice: str = "") -> None:
        super().__init__(str(error) + (f"\n{advice}" if advice else ""))
        self.error = error


#: ``ctx.meta`` key: the command was asked for JSON output (errors are printed as JSON too)
_JSON_OUTPUT = "clientbridge.json_output"


def json_requested(ctx: click.Context) -> bool:
    """True when the running command prints JSON (``--output json`` or ``--json``)."""
    return bool(ctx.meta.get(_JSON_OUTPUT, False))


def _asks_for_json(args: Sequence[str]) -> bool:
    """The raw arguments ask for JSON output (read before parsing, so that an error in
    parsing them is printed as JSON too)."""
    for index, arg in enumerate(args):
        if arg == "--":
            return False
        following = args[index + 1] if index + 1 < len(args) else None
        if arg in {"--json", "--output=json", "-ojson"}:
            return True
        if arg in {"--output", "-o"} and following == "json":
            return True
    return False


class Command(click.Command):
    """A command that does not quote stray arguments back, as click would: after
    ``--set api_key $KEY`` (a space for the ``=``) the stray word is the credential."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes ``args``
        if any(param.name == "output" for param in self.params):
            ctx.meta[_JSON_OUTPUT] = _asks_for_json(given)
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        try:
            extra = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if "output" in ctx.params:
            ctx.meta[_JSON_OUTPUT] = ctx.params["output"] == "json" or bool(
                ctx.params.get("output_json")
            )
        if extra and not allowed and not ctx.resilient_parsing:
            what = (
                "an unexpected argument"
                if len(extra) == 1
                else f"{len(extra)} unexpected arguments"
            )
            hint = ""
            if "--json" in given and any(param.name == "json_text" for param in self.params):
                hint = "; --json asks for JSON output: give the client as --client-json"
            ctx.fail(
                f"got {what} (not shown: it may be a credential); settings are given as "
                f"--set KEY=VALUE{hint}"
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
            _fail_as_json(ctx, error, ExitCode.USAGE)
            raise UsageFailure(str(error)) from None
        except CommandFailed as failure:
            _fail_as_json(ctx, failure.error, failure.exit_code)
            raise
        except click.ClickException as failure:
            _fail_as_json(ctx, failure, failure.exit_code)
            raise


def _fail_as_json(ctx: click.Context, error: Exception, exit_code: int) -> None:
    """In JSON mode, print ``error`` as the JSON failure document and exit ``exit_code``."""
    if json_requested(ctx):
        from clientbridge.cli.output import echo_json, failure_document

        echo_json(failure_document(error, exit_code))
        ctx.exit(exit_code)


def output_option(function: F) -> F:
    """``--output text|json`` (``-o``) and its short form ``--json``; they reach the
    command as one ``output`` argument, ``"text"`` or ``"json"``."""

    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("output_json"):
            kwargs["output"] = "json"
        return function(*args, **kwargs)

    with_json = click.option(
        "--json", "output_json", is_flag=True, help="Print JSON: the same as --output json."
    )(command)
    return cast(
        "F",
        click.option(
            "--output",
            "-o",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help="Plain text for people, or one JSON document for scripts (errors too).",
        )(with_json),
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
