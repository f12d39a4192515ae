"""The TOML file of named connections: `load_config`, ``${VAR}`` expansion, `Config`.

Every connection of a file is checked when it is read (by `clientbridge.settings`);
errors name the file and the connection. Credentials become `Secret` as soon as they
are read. `Config.connect` opens a connection (this module sits above the connection).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.registry import adapter_class, canonical_name

# Re-exported: these names were defined here before `clientbridge.settings` held them.
from clientbridge.settings import OPTION_NAMES, ConnectionOptions, resolve_settings

if TYPE_CHECKING:
    from pathlib import Path

    from clientbridge.connection import AsyncConnection, Connection

__all__ = [
    "OPTION_NAMES",
    "Config",
    "ConnectionConfig",
    "ConnectionOptions",
    "load_config",
    "resolve_settings",
]

DEFAULT_CONFIG_FILE = "clientbridge.toml"
CONFIG_ENV_VAR = "CLIENTBRIDGE_CONFIG"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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


def _read_toml(path: Path) -> dict[str, Any]:
    from clientbridge._toml import tomllib  # here: `import clientbridge` stays light

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
    unknown_tables = [key for key in document if key != "connections"]
    if unknown_tables:
        raise ConfigurationError(
            f"{file}: unknown top-level key {unknown_tables[0]!r}; put connections under "
            "[connections.NAME]"
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
    return Config(path=file, connections=connections)
