"""Settings: from keyword arguments or a TOML file of named connections.

Settings are checked before anything is sent; errors name the setting and, for a
file, the file and the connection. Credentials become `Secret` as soon as they are
read.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.registry import adapter_class, canonical_name

if TYPE_CHECKING:
    from pathlib import Path

    from clientbridge.adapters.base import Adapter, UnsupportedMode
    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.group import AsyncConnectionGroup, ConnectionGroup
    from clientbridge.routing import Routing

__all__ = ["Config", "ConnectionOptions", "load_config", "resolve_settings"]

DEFAULT_CONFIG_FILE = "clientbridge.toml"
CONFIG_ENV_VAR = "CLIENTBRIDGE_CONFIG"
_ON_UNSUPPORTED = ("warn", "error", "ignore")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@attrs.frozen(kw_only=True)
class ConnectionOptions:
    """The options every connection takes, whatever the provider."""

    timeout: float | None = 30.0
    max_retries: int = 3
    on_unsupported: UnsupportedMode = "warn"
    max_concurrency: int = 8
    transport: Any = None
    http_client: Any = None
    sandbox: bool = False
    #: False disables TLS certificate checks (logged as a warning); never do it in production
    verify_tls: bool = True
    #: whether ``timeout`` was given (a caller's ``http_client`` keeps its own otherwise)
    timeout_given: bool = False


OPTION_NAMES = frozenset(attrs.fields_dict(ConnectionOptions)) - {"timeout_given"}


def _options(raw: Mapping[str, Any], where: str) -> ConnectionOptions:
    values: dict[str, Any] = {}
    if "timeout" in raw:
        timeout = raw["timeout"]
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise ConfigurationError(f"{where}timeout must be a positive number of seconds")
        values["timeout"] = None if timeout is None else float(timeout)
        values["timeout_given"] = True
    for name in ("max_retries", "max_concurrency"):
        if name in raw:
            value = raw[name]
            minimum = 0 if name == "max_retries" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"{where}{name} must be a whole number >= {minimum}")
            values[name] = value
    if "on_unsupported" in raw:
        if raw["on_unsupported"] not in _ON_UNSUPPORTED:
            raise ConfigurationError(
                f"{where}on_unsupported must be one of {', '.join(_ON_UNSUPPORTED)}, "
                f"not {raw['on_unsupported']!r}"
            )
        values["on_unsupported"] = raw["on_unsupported"]
    for name in ("sandbox", "verify_tls"):
        if name in raw:
            if not isinstance(raw[name], bool):
                raise ConfigurationError(f"{where}{name} must be true or false")
            values[name] = raw[name]
    for name in ("transport", "http_client"):
        if raw.get(name) is not None:
            values[name] = raw[name]
    return ConnectionOptions(**values)


def resolve_settings(
    adapter: type[Adapter], raw: Mapping[str, Any], *, where: str = ""
) -> tuple[dict[str, object], ConnectionOptions]:
    """Split ``raw`` into checked adapter settings and connection options.

    ``where`` prefixes error messages (e.g. ``"clientbridge.toml, connection 'uk': "``).
    """
    options = _options(raw, where)
    spec = {setting.name: setting for setting in adapter.settings_spec}
    unknown = [name for name in raw if name not in spec and name not in OPTION_NAMES]
    if unknown:
        import difflib  # only for the hint: `import clientbridge` stays light

        name = unknown[0]
        close = difflib.get_close_matches(name, [*spec, *OPTION_NAMES], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(
            f"{where}unknown setting {name!r} for {adapter.name}.{hint} "
            f"{adapter.name} takes: {', '.join(spec)}."
        )
    settings: dict[str, object] = {}
    for name, setting in spec.items():
        value = raw.get(name)
        if value is None and options.sandbox:
            value = setting.sandbox_default
        if value is None:
            value = setting.default
        if value is None:
            if setting.required:
                raise ConfigurationError(
                    f"{where}missing setting {name!r} for {adapter.name}: {setting.description}."
                )
            continue
        settings[name] = setting.convert(value, f"{where}setting {name!r}")
    return settings, options


def _expand(value: Any, where: str) -> Any:
    """``${VAR}`` in strings replaced from the environment, recursively."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable not in os.environ:
                raise ConfigurationError(
                    f"{where}needs the environment variable {variable}, which is not set"
                )
            return os.environ[variable]

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, list):
        return [_expand(item, where) for item in value]
    if isinstance(value, Mapping):
        return {key: _expand(item, where) for key, item in value.items()}
    return value


@attrs.frozen
class ConnectionConfig:
    """One named connection of a config file, checked."""

    name: str
    provider: str
    # Left out of the repr: settings hold secrets (as Secret), and the repr stays short.
    settings: Mapping[str, Any] = attrs.field(repr=False)
    where: str = attrs.field(repr=False)


@attrs.frozen
class Config:
    """Named connections read from a TOML file (see `load_config`)."""

    path: Path | None
    connections: Mapping[str, ConnectionConfig]
    #: the file's ``[routing]`` table, checked (None when it has none)
    routing: Routing | None = None

    def names(self) -> list[str]:
        """The connection names, in file order."""
        return list(self.connections)

    def __getitem__(self, name: str) -> ConnectionConfig:
        try:
            return self.connections[name]
        except KeyError:
            known = ", ".join(self.connections) or "none"
            raise ConfigurationError(
                f"{self.path or 'the config'} has no connection {name!r} (it has: {known})"
            ) from None

    def _settings(self, name: str, overrides: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        connection = self[name]
        return connection.provider, {**connection.settings, **overrides}

    def connect(self, name: str, **overrides: Any) -> Connection:
        """A sync connection for the named connection; keyword arguments override."""
        from clientbridge.connection import connect

        provider, settings = self._settings(name, overrides)
        return connect(provider, **settings)

    def connect_async(self, name: str, **overrides: Any) -> AsyncConnection:
        """An async connection for the named connection; keyword arguments override."""
        from clientbridge.connection import connect_async

        provider, settings = self._settings(name, overrides)
        return connect_async(provider, **settings)

    def _many(self, names: tuple[str, ...]) -> list[str]:
        chosen = list(names) if names else self.names()
        for name in chosen:
            self[name]  # an unknown name raises, naming the file's connections
        repeated = next((name for name in chosen if chosen.count(name) > 1), None)
        if repeated is not None:
            raise ConfigurationError(f"connection {repeated!r} is named twice")
        return chosen

    def connect_many(self, *names: str, **overrides: Any) -> ConnectionGroup:
        """A `ConnectionGroup` over the named connections (every one when no name is
        given), following the file's routes; keyword arguments override each one's
        settings."""
        from clientbridge.group import ConnectionGroup

        opened: dict[str, Connection] = {}
        try:
            for name in self._many(names):
                opened[name] = self.connect(name, **overrides)
        except BaseException:
            for conn in opened.values():
                conn.close()
            raise
        return ConnectionGroup(opened, routing=self.routing)

    def connect_many_async(self, *names: str, **overrides: Any) -> AsyncConnectionGroup:
        """An `AsyncConnectionGroup` over the named connections (see `connect_many`)."""
        from clientbridge.group import AsyncConnectionGroup

        # Opening an async connection does no I/O: nothing needs closing if one fails.
        opened = {name: self.connect_async(name, **overrides) for name in self._many(names)}
        return AsyncConnectionGroup(opened, routing=self.routing)


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
            return document
    except FileNotFoundError:
        raise ConfigurationError(
            f"config file {path} not found; create it or pass the path to load_config()"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read named connections from ``path``, else ``$CLIENTBRIDGE_CONFIG``, else
    ``./clientbridge.toml``. Every connection is checked now."""
    from pathlib import Path  # here, not at the top: `import clientbridge` stays light

    if path is None:
        path = os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE
    file = Path(path)
    document = _read_toml(file)
    unknown_tables = [key for key in document if key not in {"connections", "routing"}]
    if unknown_tables:
        raise ConfigurationError(
            f"{file}: unknown top-level key {unknown_tables[0]!r}; put connections under "
            "[connections.NAME] and routes under [routing]"
        )
    raw_connections = document.get("connections", {})
    if not isinstance(raw_connections, Mapping) or not raw_connections:
        raise ConfigurationError(f"{file} defines no [connections.NAME] table")
    connections: dict[str, ConnectionConfig] = {}
    for name, table in raw_connections.items():
        where = f"{file}, connection {name!r}: "
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{where}must be a table of settings")
        if "provider" not in table:
            raise ConfigurationError(f"{where}missing key 'provider'")
        try:
            provider = canonical_name(table["provider"])
        except ConfigurationError as error:
            raise ConfigurationError(f"{where}{error}") from None
        raw = _expand({key: value for key, value in table.items() if key != "provider"}, where)
        for key in ("transport", "http_client"):
            if key in raw:
                raise ConfigurationError(f"{where}{key!r} can only be passed in code")
        settings, _ = resolve_settings(adapter_class(provider), raw, where=where)
        # Keep the checked, Secret-wrapped settings; options stay as written.
        checked: dict[str, Any] = {key: value for key, value in raw.items() if key not in settings}
        checked.update(settings)
        connections[name] = ConnectionConfig(
            name=name, provider=provider, settings=checked, where=where
        )
    routing = None
    if "routing" in document:
        from clientbridge.routing import routing_from_table

        routing = routing_from_table(document["routing"], list(connections), str(file))
    return Config(path=file, connections=connections, routing=routing)
