"""The config file: named connections read from TOML, and connecting by name.

Settings are checked before anything is sent; errors name the setting and, for a
file, the file and the connection. Credentials become `Secret` as soon as they are
read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.overrides import active_override, sandboxed_settings
from clientbridge.registry import adapter_class, canonical_name
from clientbridge.secrets import Secret
from clientbridge.settings import check_known_settings, resolve_settings

if TYPE_CHECKING:
    from pathlib import Path

    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.group import AsyncConnectionGroup, ConnectionGroup
    from clientbridge.ledger import Ledger
    from clientbridge.routing import Routing

__all__ = ["Config", "ConnectionConfig", "load_config"]

DEFAULT_CONFIG_FILE = "clientbridge.toml"
CONFIG_ENV_VAR = "CLIENTBRIDGE_CONFIG"
#: ``$$`` (a literal dollar), ``${NAME}``, or a ``$`` that starts anything else.
_DOLLAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{?[A-Za-z_0-9]*)")


def _expand(value: Any, where: str, missing: list[str]) -> Any:
    """``${VAR}`` in strings replaced from the environment, recursively; ``$$`` is a
    literal ``$``. Variables that are not set are added to ``missing`` (the connection
    that needs them fails when it is used, not the whole file)."""
    if isinstance(value, str):
        if "$" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            if match.group(1) == "$":
                return "$"
            variable = match.group(2)
            if variable is None:
                raise ConfigurationError(
                    f"{where}{match.group()!r} is not a variable: write ${{NAME}} to read the "
                    "environment variable NAME, or $$ for a literal $"
                )
            if variable not in os.environ:
                if variable not in missing:
                    missing.append(variable)
                return ""
            return os.environ[variable]

        return _DOLLAR.sub(substitute, value)
    if isinstance(value, list):
        return [_expand(item, where, missing) for item in value]
    if isinstance(value, Mapping):
        return {key: _expand(item, where, missing) for key, item in value.items()}
    return value


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    import difflib  # only for the hint: `import clientbridge` stays light

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@attrs.frozen
class ConnectionConfig:
    """One named connection of a config file, checked."""

    name: str
    provider: str
    # Left out of the repr: settings hold secrets (as Secret), and the repr stays short.
    settings: Mapping[str, Any] = attrs.field(repr=False)
    where: str = attrs.field(repr=False)
    #: environment variables the connection reads that are not set: it cannot be used
    #: (except in the sandbox, which leaves out the settings that read them)
    missing_variables: tuple[str, ...] = ()
    #: the settings that read those variables
    unresolved_settings: tuple[str, ...] = ()

    def check(self) -> None:
        """Raise `ConfigurationError` when the connection cannot be used as configured."""
        if self.missing_variables:
            names = ", ".join(self.missing_variables)
            plural = "s" if len(self.missing_variables) > 1 else ""
            raise ConfigurationError(
                f"{self.where}needs the environment variable{plural} {names}, which "
                f"{'are' if plural else 'is'} not set"
            )


@attrs.frozen
class Config:
    """Named connections read from a TOML file (see `load_config`)."""

    path: Path | None
    connections: Mapping[str, ConnectionConfig]
    #: the file's ``[routing]`` table, checked (None when it has none)
    routing: Routing | None = None
    #: the file's top-level ``ledger`` (a path, relative ones resolved against the
    #: file's directory, or a redis:// URL); a connection's own ``ledger`` wins
    ledger: str | None = attrs.field(default=None, repr=False)

    def names(self) -> list[str]:
        """The connection names, in file order."""
        return list(self.connections)

    def __getitem__(self, name: str) -> ConnectionConfig:
        try:
            return self.connections[name]
        except KeyError:
            known = ", ".join(self.connections) or "none"
            raise ConfigurationError(
                f"{self.path or 'the config'} has no connection {name!r}"
                f"{_did_you_mean(name, self.connections)} (it has: {known})"
            ) from None

    def _settings(self, name: str, overrides: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        connection = self[name]
        settings = dict(connection.settings)
        tried_in_sandbox = overrides.get("sandbox") is True and settings.get("sandbox") is not True
        if tried_in_sandbox or active_override() is not None:
            # A real connection tried in the sandbox: the sandbox's own credentials, ids and
            # base URL, never the file's real ones (nor a production URL in a preview), and
            # no setting read from a variable that is not set.
            spec = adapter_class(connection.provider).settings_spec
            settings = sandboxed_settings(spec, settings, unresolved=connection.unresolved_settings)
        elif connection.missing_variables:
            connection.check()
        if self.ledger is not None and settings.get("ledger") is None:
            settings["ledger"] = self.ledger
        return connection.provider, {**settings, **overrides}

    def connect(self, name: str, **overrides: Any) -> Connection:
        """A sync connection for the named connection; keyword arguments override."""
        from clientbridge.connection import connect

        provider, settings = self._settings(name, overrides)
        conn = connect(provider, **settings)
        conn.name = name
        return conn

    def connect_async(self, name: str, **overrides: Any) -> AsyncConnection:
        """An async connection for the named connection; keyword arguments override."""
        from clientbridge.connection import connect_async

        provider, settings = self._settings(name, overrides)
        conn = connect_async(provider, **settings)
        conn.name = name
        return conn

    def _many(self, names: tuple[str, ...]) -> list[str]:
        chosen = list(names) if names else self.names()
        for name in chosen:
            self[name]  # an unknown name raises, naming the file's connections
        repeated = next((name for name in chosen if chosen.count(name) > 1), None)
        if repeated is not None:
            raise ConfigurationError(f"connection {repeated!r} is named twice")
        return chosen

    def _shared_ledgers(
        self, names: list[str], overrides: Mapping[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], list[Ledger]]:
        """Per name, the overrides that give it its ledger, one `Ledger` opened per
        location the connections name (so that they share it), and those ledgers."""
        from clientbridge.ledger import Ledger

        opened: dict[str, Ledger] = {}
        per_name: dict[str, dict[str, Any]] = {}
        try:
            for name in names:
                location = overrides.get("ledger")
                if location is None:
                    location = self[name].settings.get("ledger") or self.ledger
                if isinstance(location, str):
                    if location not in opened:
                        opened[location] = Ledger(location)
                    location = opened[location]
                per_name[name] = {**overrides, "ledger": location} if location else {**overrides}
        except BaseException:
            for ledger in opened.values():
                ledger.close()
            raise
        return per_name, list(opened.values())

    def _open(
        self, names: tuple[str, ...], overrides: Mapping[str, Any], *, asynchronous: bool
    ) -> tuple[dict[str, Any], list[Ledger]]:
        """The named connections, opened, and the ledgers opened for them."""
        per_name, ledgers = self._shared_ledgers(self._many(names), overrides)
        connect = self.connect_async if asynchronous else self.connect
        opened: dict[str, Any] = {}
        try:
            for name, settings in per_name.items():
                opened[name] = connect(name, **settings)
        except BaseException:
            if not asynchronous:  # opening an async connection does no I/O: nothing to close
                for conn in opened.values():
                    conn.close()
            for ledger in ledgers:
                ledger.close()
            raise
        return opened, ledgers

    def connect_many(self, *names: str, **overrides: Any) -> ConnectionGroup:
        """A `ConnectionGroup` over the named connections (every one when no name is
        given), following the file's routes; keyword arguments override each one's
        settings (``ledger=`` gives them all one ledger)."""
        from clientbridge.group import ConnectionGroup

        opened, ledgers = self._open(names, overrides, asynchronous=False)
        group = ConnectionGroup(opened, routing=self.routing)
        group._owned_ledgers.extend(ledgers)  # closed with the group
        return group

    def connect_many_async(self, *names: str, **overrides: Any) -> AsyncConnectionGroup:
        """An `AsyncConnectionGroup` over the named connections (see `connect_many`)."""
        from clientbridge.group import AsyncConnectionGroup

        opened, ledgers = self._open(names, overrides, asynchronous=True)
        group = AsyncConnectionGroup(opened, routing=self.routing)
        group._owned_ledgers.extend(ledgers)  # closed with the group
        return group


def _read_toml(path: Path) -> dict[str, Any]:
    from clientbridge._toml import TOMLDecodeError, parse_toml

    try:
        return parse_toml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"config file {path} not found; create it or pass the path to load_config()"
        ) from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path} is not UTF-8 text") from None
    except TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read named connections from ``path``, else ``$CLIENTBRIDGE_CONFIG``, else
    ``./clientbridge.toml``. Every connection is checked now."""
    from pathlib import Path  # here, not at the top: `import clientbridge` stays light

    if path is None:
        path = os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE
    file = Path(path)
    document = _read_toml(file)
    unknown_tables = [key for key in document if key not in {"connections", "routing", "ledger"}]
    if unknown_tables:
        raise ConfigurationError(
            f"{file}: unknown top-level key {unknown_tables[0]!r}; put connections under "
            "[connections.NAME], routes under [routing], and the ledger in a top-level "
            'ledger = "..."'
        )
    ledger = _ledger_location(document.get("ledger"), file, f"{file}: ")
    raw_connections = document.get("connections", {})
    if not isinstance(raw_connections, Mapping) or not raw_connections:
        raise ConfigurationError(f"{file} defines no [connections.NAME] table")
    connections: dict[str, ConnectionConfig] = {}
    for name, table in raw_connections.items():
        where = f"{file}, connection {name!r}: "
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{where}must be a table of settings")
        if "provider" not in table:
            misspelt = [key for key in table if _did_you_mean(key, ["provider"])]
            hint = f" ({misspelt[0]!r} is not a key: did you mean 'provider'?)" if misspelt else ""
            raise ConfigurationError(f"{where}missing key 'provider'{hint}")
        try:
            provider = canonical_name(table["provider"])
        except ConfigurationError as error:
            raise ConfigurationError(f"{where}{error}") from None
        missing: list[str] = []
        raw: dict[str, Any] = {}
        unresolved: list[str] = []
        for key, value in table.items():
            if key == "provider":
                continue
            unset: list[str] = []
            raw[key] = _expand(value, where, unset)
            if unset:
                unresolved.append(key)
                missing.extend(variable for variable in unset if variable not in missing)
        for key in ("transport", "http_client"):
            if key in raw:
                raise ConfigurationError(f"{where}{key!r} can only be passed in code")
        if "ledger" in raw and not missing:
            raw["ledger"] = _ledger_location(raw["ledger"], file, where)
        adapter = adapter_class(provider)
        if missing:
            # Checked when the connection is used: other connections may still be used.
            check_known_settings(adapter, raw, where=where)
            for setting in adapter.settings_spec:  # secrets are Secret from the moment read
                if setting.secret and isinstance(raw.get(setting.name), str):
                    raw[setting.name] = Secret(raw[setting.name])
            connections[name] = ConnectionConfig(
                name=name,
                provider=provider,
                settings=raw,
                where=where,
                missing_variables=tuple(missing),
                unresolved_settings=tuple(unresolved),
            )
            continue
        settings, _ = resolve_settings(adapter, raw, where=where)
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
    return Config(path=file, connections=connections, routing=routing, ledger=ledger)


def _ledger_location(value: object, file: Path, where: str) -> str | None:
    """A config file's ``ledger``: a redis:// URL as written, or a path, relative ones
    read from the file's directory (not the working directory)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"{where}ledger must be a file path or a redis:// URL (a string), not {value!r}"
        )
    if "://" in value:
        return value
    from pathlib import Path

    path = Path(value).expanduser()
    return str(path if path.is_absolute() else file.parent / path)
