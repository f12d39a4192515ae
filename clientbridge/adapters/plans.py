"""The shapes of an adapter's plans: what a create, a look-up and a search yield and return.

A plan is a generator (httpx's ``Auth.auth_flow`` idea): it yields `HttpRequest` values,
receives `HttpResponse` values, and returns its result; a driver runs it. `Prepared` is a
validated client with its payload, the unit plans are built from.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import attrs

from clientbridge.errors import ClientBridgeError
from clientbridge.model import Client
from clientbridge.result import CreateResult
from clientbridge.wire import HttpRequest, HttpResponse, JSONValue

__all__ = ["FindPlan", "Lookup", "LookupPlan", "Outcome", "Plan", "Prepared"]

#: What one client of a create plan ends as: created, or the error it failed with.
Outcome = CreateResult | ClientBridgeError
#: A create: yields requests (look-ups first), returns one outcome per client.
Plan = Generator[HttpRequest, HttpResponse, list[Outcome]]
#: A read-only plan that returns the looked-up values a create needs, by key.
LookupPlan = Generator[HttpRequest, HttpResponse, dict[str, str]]
#: A read-only plan that returns, per client, the provider's records matching it.
FindPlan = Generator[HttpRequest, HttpResponse, list[list[CreateResult]]]


@attrs.frozen(kw_only=True)
class Lookup:
    """A value fetched from the provider before a create, cached on the connection."""

    key: str
    request: HttpRequest
    parse: Callable[[HttpResponse], str]


@attrs.frozen(kw_only=True)
class Prepared:
    """A validated client with its wire payload and what was not sent."""

    index: int
    client: Client
    payload: dict[str, JSONValue]
    dropped_fields: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
