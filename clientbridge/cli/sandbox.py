"""``clientbridge sandbox serve``, which is also ``python -m clientbridge.sandbox serve``:
one provider's emulator on 127.0.0.1 until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import Any

import click

from clientbridge.cli._base import Group, UsageFailure
from clientbridge.cli.target import pairs
from clientbridge.registry import canonical_name

__all__ = ["sandbox", "serve"]


@click.group(cls=Group)
def sandbox() -> None:
    """The built-in emulators of the providers (no account needed)."""


@sandbox.command()
@click.option("--provider", "-p", required=True, metavar="NAME", help="The provider to emulate.")
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
    "--emulator-option",
    "emulator_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the emulators, as the `Sandbox` keyword argument of that name "
    "(e.g. a response shape); repeatable.",
)
def serve(
    provider: str,
    host: str,
    port: int,
    credential: str | None,
    latency_ms: float,
    fail_rate: float,
    seed: int | None,
    fault_kinds: tuple[str, ...],
    faults_on_lookups: bool,
    emulator_options: tuple[str, ...],
) -> None:
    """Serve one provider's emulator on 127.0.0.1 until Ctrl-C or SIGTERM, printing its
    base_url.

    Point real code (or another clientbridge command) at the printed base_url with the
    printed credential. ``GET /_sandbox/records`` lists what it holds. The same command
    runs as ``python -m clientbridge.sandbox serve``.

    \b
    Examples:
      clientbridge sandbox serve --provider NAME --port 8765
      clientbridge sandbox serve -p NAME --fail-rate 0.1 --seed 7 --latency-ms 20
    """
    try:
        from clientbridge.sandbox.server import serve as serve_sandbox
    except ImportError as error:
        raise UsageFailure(f"the sandbox is not available: {error}") from None
    extra: dict[str, Any] = dict(pairs(emulator_options, "--emulator-option"))
    extra["faults_on_lookups"] = faults_on_lookups
    if fault_kinds:
        extra["fault_kinds"] = list(fault_kinds)
    try:
        serve_sandbox(
            canonical_name(provider),
            host=host,
            port=port,
            credential=credential,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            seed=seed,
            on_ready=click.echo,
            **extra,
        )
    except TypeError as error:  # an --emulator-option no emulator has
        raise UsageFailure(f"--emulator-option: {error}") from None
    except ValueError as error:
        raise UsageFailure(str(error)) from None
    except OSError as error:
        raise UsageFailure(f"cannot serve on {host}:{port}: {error.strerror or error}") from None
