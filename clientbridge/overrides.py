"""The seam a test harness uses to answer every connection opened while it is active.

The pytest plugin's ``clientbridge_sandbox`` fixture activates an override for the
duration of a test: every connection opened then (`connect`, `connect_async`, a config
file's connections and groups) is sandboxed — its credentials and other values with a
sandbox default are the sandbox's, and its HTTP goes to the transport the override gives.
The core only asks this module; it never imports what stands behind an override.

The override is process-wide rather than a context variable on purpose: an app under
test may open its connections in another thread (a web framework's test client, a
thread pool), and those connections must be answered too.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.settings import Setting

__all__ = [
    "ConnectionOverride",
    "OverriddenTransportWarning",
    "active_override",
    "apply_override",
    "overriding",
    "sandboxed_settings",
]


class OverriddenTransportWarning(UserWarning):
    """A connection was given ``transport=`` or ``http_client=`` while an override (the
    ``clientbridge_sandbox`` fixture) was active: the override answers it instead."""


class ConnectionOverride(Protocol):
    """What answers the connections opened while it is active."""

    #: who answers, for messages (e.g. ``"the clientbridge_sandbox fixture"``)
    description: str

    def transport(self, adapter: Adapter, *, asynchronous: bool) -> Any:
        """The httpx transport (sync, or async when ``asynchronous``) for one connection."""
        ...


_lock = threading.Lock()
_active: list[ConnectionOverride] = []


def active_override() -> ConnectionOverride | None:
    """The override in force (the innermost one), or None."""
    return _active[-1] if _active else None


@contextmanager
def overriding(override: ConnectionOverride) -> Iterator[ConnectionOverride]:
    """Make ``override`` answer every connection opened until the block ends."""
    with _lock:
        _active.append(override)
    try:
        yield override
    finally:
        with _lock:
            _active.remove(override)


def sandboxed_settings(
    spec: Sequence[Setting], settings: Mapping[str, Any], *, unresolved: Sequence[str] = ()
) -> dict[str, Any]:
    """``settings`` for a connection tried in the sandbox: those with a sandbox default
    (credentials, account ids, base URL), account-specific ones and ``unresolved`` ones
    (read from environment variables that are not set) left out, so the sandbox's own
    values are used and a real credential or production URL is never sent there;
    ``sandbox=True`` set."""
    dropped = {
        setting.name
        for setting in spec
        if setting.sandbox_default is not None or setting.account_specific
    }
    dropped.update(unresolved)
    kept = {name: value for name, value in settings.items() if name not in dropped}
    kept["sandbox"] = True
    return kept


def apply_override(
    provider: str, spec: Sequence[Setting], settings: Mapping[str, Any]
) -> Mapping[str, Any]:
    """``settings`` as the override in force wants them (unchanged when there is none).

    A ``transport=`` or ``http_client=`` given by the caller is not used: the override
    answers (an `OverriddenTransportWarning` says so), since its promise is that nothing
    reaches the network while it is active.
    """
    override = active_override()
    if override is None:
        return settings
    given = [name for name in ("transport", "http_client") if settings.get(name) is not None]
    if given:
        warnings.warn(
            f"{' and '.join(f'{name}=' for name in given)} given to a {provider} connection "
            f"is not used: {override.description} answers every connection while it is "
            "active",
            OverriddenTransportWarning,
            stacklevel=4,
        )
    kept = {name: value for name, value in settings.items() if name not in given}
    return sandboxed_settings(spec, kept)
