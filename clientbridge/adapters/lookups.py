"""Look-ups: the ids a create needs fetched first, once per connection, and their errors.

A look-up (`Lookup`) is a read-only request made before a create, whose answer (an id)
goes into the create's URL or headers. `LookupPlanning` runs an adapter's look-ups as a
plan, caches each value for the connection's lifetime, refuses a value that could break
out of a header or a path, and words the errors of a look-up that failed: the create was
never sent, so nothing was created. `Adapter` inherits it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clientbridge.adapters.plans import Lookup, LookupPlan, Prepared
from clientbridge.adapters.responses import READ_ERRORS, ResponseReading
from clientbridge.errors import (
    ProviderError,
    ProviderUnavailableError,
    TransportError,
    UnexpectedResponseError,
)
from clientbridge.wire import HttpResponse

__all__ = ["LookupPlanning"]

#: What a value sent in an HTTP header may hold: visible ASCII and spaces (RFC 9110).
_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")


class LookupPlanning(ResponseReading):
    """The look-ups before a create, shared by every adapter (see `Adapter`)."""

    #: look-up results, kept for the connection's lifetime (set by `Adapter.__init__`)
    cache: dict[str, str]

    def lookups(self, batch: Sequence[Prepared]) -> list[Lookup]:
        """Values to fetch before creating ``batch`` (override; cached per connection)."""
        return []

    def plan_lookups(self, batch: Sequence[Prepared]) -> LookupPlan:
        """The plan that looks up what ``batch`` needs (each value once per connection:
        cached), returning the values by key. Creates nothing."""
        resolved: dict[str, str] = {}
        for lookup in self.lookups(batch):
            value = self.cache.get(lookup.key)
            if value is None:
                try:
                    response = yield lookup.request
                except TransportError as error:
                    raise self.lookup_not_answered(lookup.key, error) from None
                if not response.is_success:
                    raise self.lookup_refused(lookup.key, self.error_from_response(response))
                try:
                    value = lookup.parse(response)
                except UnexpectedResponseError as error:
                    # A look-up creates nothing, whatever the reader that raised assumed.
                    raise self.unexpected(
                        error.reason or f"the {lookup.key} look-up could not be read",
                        response,
                        maybe_created=False,
                    ) from None
                except READ_ERRORS as error:
                    raise self.unexpected(
                        f"the {lookup.key} look-up could not be read ({error})",
                        response,
                        maybe_created=False,
                    ) from None
                self._check_looked_up(lookup.key, value, response)
                self.cache[lookup.key] = value
            resolved[lookup.key] = value
        return resolved

    def lookup_refused(self, key: str, error: ProviderError) -> ProviderError:
        """The error of a create whose look-up of ``key`` was answered with ``error``. A
        server error (5xx) there leaves nothing unknown, unlike one answering a create: the
        create was never sent, so it is marked retryable."""
        if not isinstance(error, ProviderUnavailableError) or error.retryable:
            return error
        said, _ = self.error_details(error.body)
        said = f" ({said.rstrip(' .')})" if said else ""
        return ProviderUnavailableError(
            f"{self.display_name} answered HTTP {error.status_code}{said} to the {key} look-up "
            "made before the create; nothing was created, so it is safe to try again later",
            provider=error.provider,
            status_code=error.status_code,
            body=error.body,
            retryable=True,
            errors=error.errors,
        )

    def lookup_not_answered(self, key: str, error: TransportError) -> TransportError:
        """The error of a create whose look-up of ``key`` got no answer (``error``): the
        create was never sent, so nothing was created and it is safe to send again, however
        far the look-up itself got."""
        what = error.reason or f"the {key} look-up failed"
        return TransportError(
            f"{what}, while looking up {key} before the create; nothing was created, so it "
            f"is safe to try again once {self.display_name} can be reached",
            maybe_sent=False,
            provider=self.name,
            reason=what,
        )

    def _check_looked_up(self, key: str, value: str, response: HttpResponse) -> None:
        """A looked-up id goes into headers and URL paths: refuse what could break out of
        them (CR/LF, non-ASCII, ``/``, ``.``, ``..``) before anything is created."""
        if value in {".", ".."} or "/" in value or not _HEADER_SAFE.fullmatch(value):
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise self.unexpected(
                f"the {key} look-up answered {shown!r}, which cannot be used in a request",
                response,
                maybe_created=False,
            )
