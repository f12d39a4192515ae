"""``clientbridge sandbox serve``, which is also ``python -m clientbridge.sandbox serve``:
one provider's emulator (or all of them) on 127.0.0.1 until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import Any

import click

from clientbridge.cli._base import Group, UsageFailure
from clientbridge.cli.target import option_value, pairs
from clientbridge.registry import canonical_name

__all__ = ["sandbox", "serve"]


@click.group(cls=Group)
def sandbox() -> None:
    """The built-in emulators of the providers (no account needed)."""


@sandbox.command()
@click.option("--provider", "-p", metavar="NAME", help="The provider to emulate.")
@click.option(
    "--all",
    "every_provider",
    is_flag=True,
    help="Emulate every provider, each under its own path, and print a config file for them.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option(
    "--port", type=int, default=0, show_default=True, help="The port (0 picks a free one)."
)
@click.option(
    "--credential",
    metavar="VALUE",
    help="The one credential the server accepts (default: the sandbox's).",
)
@click.option("--latency-ms", type=float, default=0.0, help="Delay every answer (milliseconds).")
@click.option("--fail-rate", type=float, default=0.0, help="Share of creates hit by a fault (0-1).")
@click.option("--seed", type=int, help="Seed for the fault draws and record ids.")
@click.option(
    "--fault-kind",
    "fault_kinds",
    multiple=True,
    metavar="KIND",
    help="A fault --fail-rate may draw (429, 500, 503, drop, 500-after-create...); "
    "repeatable (default: every failing kind).",
)
@click.option("--faults-on-lookups", is_flag=True, help="Let faults hit look-ups too.")
@click.option(
    "--rate-limit",
    metavar="RATE",
    help="Answer 429 past this rate, per credential (20/s, 600/min).",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    help="Requests a credential may send at once (default: the rate's count).",
)
@click.option(
    "--no-retry-after",
    is_flag=True,
    help="Answer the rate limit's 429s with no hint of when to retry.",
)
@click.option(
    "--emulator-option",
    "emulator_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the emulators, as the Sandbox keyword argument of that name "
    "(e.g. a response shape); repeatable.",
)
def serve(
    provider: str | None,
    every_provider: bool,
    host: str,
    port: int,
    credential: str | None,
    latency_ms: float,
    fail_rate: float,
    seed: int | None,
    fault_kinds: tuple[str, ...],
    faults_on_lookups: bool,
    rate_limit: str | None,
    burst: int | None,
    no_retry_after: bool,
    emulator_options: tuple[str, ...],
) -> None:
    """Serve a provider's emulator (or all of them) on 127.0.0.1 until Ctrl-C or SIGTERM.

    Point real code (or another clientbridge command) at the printed base_url with the
    printed credential; with --all, paste the printed config file. Open the printed
    inspector URL to watch every request arrive. GET /_sandbox/records under a
    base_url lists what its emulator holds, GET /_sandbox/stats counts requests and
    rate-limited ones. The same command runs as "python -m clientbridge.sandbox serve".

    \b
    Examples:
      clientbridge sandbox serve --all --port 8765
      clientbridge sandbox serve --provider NAME --port 8765
      clientbridge sandbox serve -p NAME --fail-rate 0.1 --seed 7 --latency-ms 20
      clientbridge sandbox serve -p NAME --rate-limit 20/s --burst 5
    """
    if every_provider == (provider is not None):
        raise UsageFailure("give either --provider NAME or --all")
    try:
        from clientbridge.sandbox.emulators import EMULATORS
        from clientbridge.sandbox.server import serve as serve_sandbox
    except ImportError as error:
        raise UsageFailure(f"the sandbox is not available: {error}") from None
    if rate_limit is not None:
        from clientbridge.ratelimit import parse_rate

        try:
            parse_rate(rate_limit)
        except ValueError as error:
            raise UsageFailure(f"--rate-limit: {error}") from None
    served = list(EMULATORS) if provider is None else canonical_name(provider)
    extra = _emulator_options(emulator_options)
    extra["faults_on_lookups"] = faults_on_lookups
    extra["rate_limit"] = rate_limit
    extra["rate_limit_burst"] = burst
    extra["rate_limit_retry_after"] = not no_retry_after
    if fault_kinds:
        extra["fault_kinds"] = list(fault_kinds)
    try:
        serve_sandbox(
            served,
            host=host,
            port=port,
            credential=credential,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            seed=seed,
            on_ready=click.echo,
            **extra,
        )
    except ValueError as error:
        raise UsageFailure(str(error)) from None
    except OSError as error:
        raise UsageFailure(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


#: `Sandbox` keyword arguments that have options of their own (or are not options).
_OWN_OPTIONS = {
    "credentials",
    "seed",
    "fail_rate",
    "fault_kinds",
    "faults_on_lookups",
    "latency_ms",
    "rate_limit",
    "rate_limit_burst",
    "rate_limit_retry_after",
}


def _emulator_options(values: tuple[str, ...]) -> dict[str, Any]:
    """``--emulator-option KEY=VALUE`` as `Sandbox` keyword arguments, checked by name,
    each value read as the type of the argument's default (text, number, true/false)."""
    import inspect

    from clientbridge.sandbox import Sandbox

    parameters = inspect.signature(Sandbox).parameters
    known = sorted(set(parameters) - _OWN_OPTIONS)
    options: dict[str, Any] = {}
    for key, text in pairs(values, "--emulator-option"):
        if key not in known:
            raise UsageFailure(
                f"--emulator-option {key!r}: not an emulator option (one of {', '.join(known)})"
            )
        default = parameters[key].default
        value = text if isinstance(default, str) else option_value(text)
        if default is not None and not _same_kind(value, default):
            raise UsageFailure(
                f"--emulator-option {key}={text!r}: give {_KIND_NAMES[type(default)]}"
            )
        options[key] = float(value) if isinstance(default, float) else value
    return options


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _same_kind(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))
