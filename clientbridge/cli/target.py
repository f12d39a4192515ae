"""Where a command goes: the connection/provider/sandbox options, turned into the
importer's `Target` (with the journal fingerprint), checked before any I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

import clientbridge as cb
from clientbridge.cli._base import UsageFailure, cli_context, options_object
from clientbridge.registry import canonical_name
from clientbridge.settings import OPTION_NAMES

if TYPE_CHECKING:
    from clientbridge.config import Config
    from clientbridge.importer import Target
    from clientbridge.model import Client
    from clientbridge.routing import Routing

__all__ = [
    "ManyTargetOptions",
    "TargetOptions",
    "build_target",
    "build_targets",
    "import_targets",
    "load_config_file",
    "many_target_options",
    "option_value",
    "pairs",
    "target_options",
]

C = TypeVar("C")


@attrs.frozen(kw_only=True)
class TargetOptions:
    """The options that say where a command goes, as given."""

    connection: str | None = None
    config_path: str | None = None
    provider: str | None = None
    sandbox: bool = False
    settings: tuple[str, ...] = ()


#: The options after ``--connection`` (shared with `many_target_options`).
_OPTIONS_AFTER_CONNECTION = [
    click.option(
        "--config",
        "config_path",
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help="The config file (default: $CLIENTBRIDGE_CONFIG, else ./clientbridge.toml).",
    ),
    click.option(
        "--provider",
        "-p",
        metavar="NAME",
        help="A provider by name (see 'clientbridge providers'), with --set settings.",
    ),
    click.option(
        "--sandbox",
        is_flag=True,
        help="Talk to the built-in in-process emulator (no account, no network).",
    ),
    click.option(
        "--set",
        "settings",
        metavar="KEY=VALUE",
        multiple=True,
        help="A setting (api_key=..., base_url=..., timeout=10); repeatable.",
    ),
]
#: Every command that talks to a provider takes these; they reach it as ``where``.
target_options = options_object(
    TargetOptions,
    "where",
    [
        click.option(
            "--connection",
            "-c",
            metavar="NAME",
            help="A named connection from the config file.",
        ),
        *_OPTIONS_AFTER_CONNECTION,
    ],
)


@attrs.frozen(kw_only=True)
class ManyTargetOptions:
    """The target options of a command that can go to several connections at once."""

    connection: tuple[str, ...] = ()
    all_connections: bool = False
    config_path: str | None = None
    provider: str | None = None
    sandbox: bool = False
    settings: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        """True when the command goes to several connections (or every one)."""
        return self.all_connections or len(self.connection) > 1

    def single(self) -> TargetOptions:
        """The options of the one target (when not `several`)."""
        return TargetOptions(
            connection=self.connection[0] if self.connection else None,
            config_path=self.config_path,
            provider=self.provider,
            sandbox=self.sandbox,
            settings=self.settings,
        )


#: `target_options` with ``--connection`` repeatable and ``--all-connections``.
many_target_options = options_object(
    ManyTargetOptions,
    "where",
    [
        click.option(
            "--connection",
            "-c",
            metavar="NAME",
            multiple=True,
            help="A named connection from the config file; repeat it for several.",
        ),
        click.option(
            "--all-connections",
            is_flag=True,
            help="Every connection of the config file.",
        ),
        *_OPTIONS_AFTER_CONNECTION,
    ],
)


def build_targets(ctx: click.Context, where: ManyTargetOptions) -> tuple[Config, dict[str, Target]]:
    """The config file and a target per connection of a several-connection command."""
    if where.provider:
        raise UsageFailure(
            "several connections are named connections of the config file; leave out --provider"
        )
    if where.all_connections and where.connection:
        raise UsageFailure("--all-connections takes every connection; leave out --connection")
    config = load_config_file(where.config_path)
    names = list(where.connection) if where.connection else config.names()
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise UsageFailure(f"--connection {repeated} is given twice")
    single = where.single()
    return config, {
        name: build_target(ctx, attrs.evolve(single, connection=name), config=config)
        for name in names
    }


def load_config_file(path: str | None) -> Config:
    """The config file: ``--config``, else ``$CLIENTBRIDGE_CONFIG``, else the default;
    one that does not exist is a usage failure naming both ways to point at it."""
    import os

    from clientbridge.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE

    if path is not None:
        where, shown = path, f"{path} (given with --config)"
    elif os.environ.get(CONFIG_ENV_VAR):
        where = os.environ[CONFIG_ENV_VAR]
        shown = f"{where} (named by ${CONFIG_ENV_VAR})"
    else:
        where = shown = DEFAULT_CONFIG_FILE
    if not os.path.exists(where):
        raise UsageFailure(
            f"config file {shown} not found: create it, pass --config PATH, or set "
            f"${CONFIG_ENV_VAR} to its path (or give --provider NAME and its --set settings)"
        )
    return cb.load_config(where)


def pairs(
    values: Iterable[str], option: str, *, may_hold_secrets: bool = False
) -> list[tuple[str, str]]:
    """``KEY=VALUE`` option values as pairs (the value may be empty).

    With ``may_hold_secrets`` a malformed item is not quoted back: a mistyped
    ``--set api_key:...`` would otherwise print the key into a terminal or CI log.
    """
    from clientbridge.importer.reading.columns import split_pairs

    def refuse(item: str) -> UsageFailure:
        shown = "(not shown: it may hold a credential)" if may_hold_secrets else repr(item)
        return UsageFailure(f"{option} {shown}: write it as KEY=VALUE")

    return list(split_pairs(values, refuse))


def _parse_settings(values: Iterable[str]) -> dict[str, Any]:
    """``--set key=value`` pairs; connection options (timeout...) read as numbers/booleans."""
    return {
        key: option_value(value) if key in OPTION_NAMES else value
        for key, value in pairs(values, "--set", may_hold_secrets=True)
    }


def option_value(text: str) -> Any:
    """A command-line value as a boolean or number where it reads as one."""
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_target(ctx: click.Context, where: TargetOptions, config: Config | None = None) -> Target:
    """The target of a command from its options, checked now (before any I/O).

    ``config`` is the config file already loaded (``check --all`` reads it once).
    """
    from clientbridge.importer.api import build_target as build_importer_target

    overrides = _parse_settings(where.settings)
    if where.sandbox:
        overrides["sandbox"] = True
    if where.connection and where.provider:
        raise UsageFailure("give --connection or --provider, not both")
    location = ""
    if where.connection:
        loaded = config if config is not None else load_config_file(where.config_path)
        entry = loaded[where.connection]
        entry.check()  # environment variables it needs and that are not set
        name, raw = entry.provider, {**entry.settings, **overrides}
        location = entry.where
        label = f"connection {where.connection!r} ({name})"
    elif where.provider:
        name, raw = canonical_name(where.provider), overrides
        label = name
    else:
        raise UsageFailure(
            "say where the clients go: --connection NAME (from clientbridge.toml) or "
            "--provider NAME with --set settings (add --sandbox to try the built-in emulator)"
        )
    if where.sandbox:
        label += " (sandbox)"
    factory = cli_context(ctx).transport_factory
    return build_importer_target(
        name,
        raw,
        label=label,
        where=location,
        transport_for=(lambda asynchronous: factory(name, asynchronous)) if factory else None,
        # The in-process sandbox keeps its records in memory, until the command ends.
        sandbox_forgets=True,
    )


def import_targets(ctx: click.Context, where: ManyTargetOptions) -> dict[str, Target]:
    """The target of each connection of a command that sends clients (one, unnamed, for a
    single target); several connections follow the config file's routes."""
    if not where.several:
        return {"": build_target(ctx, where.single())}
    config, targets = build_targets(ctx, where)
    routing = config.routing
    if routing is None:
        return targets
    return {
        name: attrs.evolve(target, accepts=_routed_to(routing, name))
        for name, target in targets.items()
    }


def _routed_to(routing: Routing, name: str) -> Callable[[Client], bool]:
    def accepts(client: Client) -> bool:
        return name in routing.connections_for(client)

    return accepts
