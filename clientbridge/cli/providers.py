"""``clientbridge providers``: the adapters and what each can do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

import clientbridge as cb
from clientbridge.cli._base import Command, UsageFailure, output_option
from clientbridge.errors import ConfigurationError
from clientbridge.registry import adapter_class, canonical_name

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter

__all__ = ["providers"]


@click.command(cls=Command)
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the capability matrix and each provider's settings and field mapping "
    "as Markdown (generated from the adapters' declarations).",
)
@output_option
@click.argument("names", nargs=-1, metavar="[PROVIDER]...")
def providers(markdown: bool, output: str, names: tuple[str, ...]) -> None:
    """List the providers (adapters) and what each can do.

    \b
    Examples:
      clientbridge providers
      clientbridge providers --markdown > capabilities.md
      clientbridge providers --markdown NAME...
      clientbridge providers --json
    """
    from clientbridge.cli.output import echo_json, provider_json
    from clientbridge.cli.render import providers_markdown, providers_table

    if markdown and output == "json":
        raise UsageFailure("give --markdown or --output json, not both")

    wanted = [canonical_name(name) for name in names] or cb.providers()
    adapters: list[type[Adapter]] = []
    broken: list[tuple[str, str]] = []
    for name in wanted:
        try:
            adapters.append(adapter_class(name))
        except (ConfigurationError, ImportError) as error:  # a broken plug-in
            broken.append((name, str(error)))
    if output == "json":
        echo_json(
            {
                "ok": True,
                "providers": [provider_json(adapter) for adapter in adapters],
                "unavailable": [{"name": name, "message": problem} for name, problem in broken],
            }
        )
        return
    if markdown:
        click.echo(providers_markdown([adapter.name for adapter in adapters]), nl=False)
    else:
        click.echo(providers_table(adapters))
    for name, problem in broken:
        click.echo(f"{name}: unavailable ({problem})", err=True)
