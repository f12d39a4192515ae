"""The ``clientbridge`` command: providers, create, preview, import, sandbox serve, check.

One module per command (`providers`, `create`, `preview`, `import_`, `journal`,
`check`, `sandbox`); `target` turns the connection/provider/sandbox options into a `Target`,
`clients` turns flags into a `Client`, `render` prints for people and scripts.

Exit codes (`ExitCode`): 0 everything went through, 1 some client (row) failed or may
have been created, 2 a usage or configuration error (nothing was sent), 130 interrupted.

Heavy pieces (the importer, rich, the sandbox, the adapters) are imported by the
commands that need them, and nothing in the library imports this package.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import click

import clientbridge as cb
from clientbridge.cli._base import CliContext, Group, UsageFailure
from clientbridge.cli.check import check
from clientbridge.cli.create import create
from clientbridge.cli.import_ import import_
from clientbridge.cli.journal import journal
from clientbridge.cli.preview import preview
from clientbridge.cli.providers import providers
from clientbridge.cli.sandbox import sandbox

__all__ = ["CliContext", "UsageFailure", "cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(cb.__version__, prog_name="clientbridge")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log retries and requests (-v), or every request and answer (-vv).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Create clients in back-office products through one neutral model.

    "clientbridge providers" lists the providers (built-in and plug-ins) and what each
    can do.

    \b
    Try it without an account, against the built-in sandbox:
      clientbridge import examples/clients.csv --provider NAME --sandbox
      clientbridge create --provider NAME --sandbox --name "Ada Lovelace" --email ada@example.com

    Exit codes: 0 all done, 1 some client failed (or may have been created),
    2 usage or configuration error (nothing was sent), 130 interrupted.
    """
    ctx.ensure_object(CliContext)
    if verbose:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("clientbridge").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


for _command in (providers, create, preview, import_, journal, sandbox, check):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=argv, prog_name="clientbridge")
