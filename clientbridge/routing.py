"""Routes: which connections of a config file a client goes to, decided by its own values.

A route table is plain data in the config file (``[routing]``): routes in order, each
matching neutral fields and address parts against exact values or lists of values, the
first that matches naming the connections, and a default for a client no route matches.
It is checked when the file is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.model import Address, Client

__all__ = ["ROUTABLE_FIELDS", "Route", "Routing", "routing_from_table"]

#: The client fields a route can match: the single-valued ones, plus each address part
#: as ``address.<part>`` and each custom field as ``custom_fields.<key>``.
_CLIENT_FIELDS = tuple(
    field.name
    for field in attrs.fields(Client)
    if field.name not in {"address", "contact_methods", "custom_fields", "extras"}
)
_ADDRESS_FIELDS = tuple(f"address.{field.name}" for field in attrs.fields(Address))
ROUTABLE_FIELDS = (*_CLIENT_FIELDS, *_ADDRESS_FIELDS)
_CUSTOM_PREFIX = "custom_fields."
_BOOLEAN_FIELDS = frozenset({"lead"})

Value = str | bool


def _value_of(client: Client, field: str) -> Value | None:
    if field.startswith("address."):
        if client.address is None:
            return None
        value: Any = getattr(client.address, field.removeprefix("address."))
    elif field.startswith(_CUSTOM_PREFIX):
        value = client.custom_fields.get(field.removeprefix(_CUSTOM_PREFIX))
    else:
        value = getattr(client, field)
    return value if isinstance(value, str | bool) else None


def _same(wanted: Value, value: Value) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return wanted is value
    return wanted.strip().casefold() == value.strip().casefold()


@attrs.frozen(kw_only=True)
class Route:
    """Clients whose fields all hold one of the values in ``when`` go to ``to``."""

    when: Mapping[str, tuple[Value, ...]]
    to: tuple[str, ...]

    def matches(self, client: Client) -> bool:
        for field, wanted in self.when.items():
            value = _value_of(client, field)
            if value is None or not any(_same(option, value) for option in wanted):
                return False
        return True


@attrs.frozen(kw_only=True)
class Routing:
    """Routes in order (the first that matches wins) and the default connections."""

    routes: tuple[Route, ...]
    default: tuple[str, ...]

    def connections_for(self, client: Client) -> tuple[str, ...]:
        """The connections ``client`` goes to."""
        for route in self.routes:
            if route.matches(client):
                return route.to
        return self.default

    def names(self) -> frozenset[str]:
        """Every connection a route or the default names."""
        return frozenset(self.default).union(*(route.to for route in self.routes))


def _connection_list(value: object, known: Sequence[str], where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ConfigurationError(f"{where} must be a list of connection names")
    unknown = [name for name in value if name not in known]
    if unknown:
        raise ConfigurationError(
            f"{where} names the unknown connection {unknown[0]!r} "
            f"(the file has: {', '.join(known)})"
        )
    return tuple(dict.fromkeys(value))


def _condition(field: object, value: object, where: str) -> tuple[Value, ...]:
    if not isinstance(field, str) or not (
        field in ROUTABLE_FIELDS
        or (field.startswith(_CUSTOM_PREFIX) and len(field) > len(_CUSTOM_PREFIX))
    ):
        raise ConfigurationError(
            f"{where} matches the unknown field {field!r}; a route can match "
            f"{', '.join(ROUTABLE_FIELDS)} or custom_fields.<key>"
        )
    options = value if isinstance(value, list) else [value]
    kind = bool if field in _BOOLEAN_FIELDS else str
    if not options or not all(type(option) is kind for option in options):
        wanted = "true or false" if kind is bool else "a string or a list of strings"
        raise ConfigurationError(f"{where}, field {field!r}: the value must be {wanted}")
    return tuple(options)


def routing_from_table(table: object, connections: Sequence[str], where: str) -> Routing:
    """The checked `Routing` of a config file's ``[routing]`` table.

    ``where`` starts error messages (the file's name); each names the route, the field
    or the connection that is wrong.
    """
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{where}: routing must be a table")
    unknown = [key for key in table if key not in {"routes", "default"}]
    if unknown:
        raise ConfigurationError(
            f"{where}: routing has the unknown key {unknown[0]!r} (it takes: routes, default)"
        )
    default = (
        _connection_list(table["default"], connections, f"{where}: routing.default")
        if "default" in table
        else tuple(connections)
    )
    raw_routes = table.get("routes", [])
    if not isinstance(raw_routes, list):
        raise ConfigurationError(f"{where}: routing.routes must be a list of [[routing.routes]]")
    routes: list[Route] = []
    for number, raw in enumerate(raw_routes, start=1):
        here = f"{where}: route {number}"
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{here} must be a table with 'when' and 'to'")
        extra = [key for key in raw if key not in {"when", "to"}]
        if extra:
            raise ConfigurationError(
                f"{here} has the unknown key {extra[0]!r} (it takes: when, to)"
            )
        when = raw.get("when")
        if not isinstance(when, Mapping) or not when:
            raise ConfigurationError(
                f"{here} needs 'when', a table of fields to match (use routing.default "
                "for the clients no route matches)"
            )
        if "to" not in raw:
            raise ConfigurationError(f"{here} needs 'to', the connections it sends to")
        routes.append(
            Route(
                when={field: _condition(field, value, here) for field, value in when.items()},
                to=_connection_list(raw["to"], connections, f"{here}, 'to'"),
            )
        )
    return Routing(routes=tuple(routes), default=default)
