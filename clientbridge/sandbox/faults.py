"""Fault injection: the next N calls on demand, or a share of all calls by seeded chance.

Faults hit create calls only, unless ``include_lookups`` says otherwise (a look-up is a
GET the driver may retry, so failing it tests something else). What each kind does:

==================== ===========================================================
``rate_limited``      429 with ``Retry-After``, before the request is processed
``server_error``      500 before the request is processed (nothing created)
``bad_gateway``       502 with an HTML body, before the request is processed
``unavailable``       503 with ``Retry-After``, before the request is processed
``latency``           the answer is delayed by ``latency_ms``; otherwise normal (the
                      request is processed first: a client that times out waiting
                      has still created the record, as with a slow real server)
``disconnect``        the connection drops before the request is processed: in
                      process an ``httpx.ConnectError`` (provably not sent); on the
                      server the socket is closed without an answer
``error_after_create`` the request is processed (the record exists), then 500:
                      the ambiguous case a client must not blindly retry
``malformed_json``    the request is processed, then the body is cut short
==================== ===========================================================
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Sequence
from typing import Literal, get_args

import attrs

__all__ = [
    "BEFORE_PROCESSING",
    "FAULT_ALIASES",
    "FAULT_KINDS",
    "RATE_FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultSettings",
    "fault_kind",
]

FaultKind = Literal[
    "rate_limited",
    "server_error",
    "bad_gateway",
    "unavailable",
    "latency",
    "disconnect",
    "error_after_create",
    "malformed_json",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
#: Drawn by ``fail_rate`` unless other kinds are named: every kind that makes a call fail.
RATE_FAULT_KINDS: tuple[FaultKind, ...] = tuple(kind for kind in FAULT_KINDS if kind != "latency")
#: Kinds answered instead of processing the request: nothing is created.
BEFORE_PROCESSING: frozenset[str] = frozenset(
    {"rate_limited", "server_error", "bad_gateway", "unavailable", "disconnect"}
)


#: Short names accepted for the kinds (the CLI's help uses them).
FAULT_ALIASES: dict[str, FaultKind] = {
    "429": "rate_limited",
    "500": "server_error",
    "502": "bad_gateway",
    "503": "unavailable",
    "slow": "latency",
    "drop": "disconnect",
    "500-after-create": "error_after_create",
    "bad-json": "malformed_json",
}


def fault_kind(name: str) -> FaultKind:
    """The kind called ``name`` (or one of its `FAULT_ALIASES`); ValueError otherwise."""
    if name in FAULT_KINDS:
        return name
    if name not in FAULT_ALIASES:
        raise ValueError(
            f"unknown fault kind {name!r}; choose from {', '.join(FAULT_KINDS)} "
            f"(or {', '.join(FAULT_ALIASES)})"
        )
    return FAULT_ALIASES[name]


@attrs.frozen(kw_only=True)
class Fault:
    """One fault to apply to one call."""

    kind: FaultKind
    #: seconds announced in ``Retry-After`` (429 and 503)
    retry_after: float = 1.0
    #: extra delay of a ``latency`` fault
    latency_ms: float = 250.0
    #: only calls to this provider (None: any)
    provider: str | None = None
    #: look-ups may draw it too
    include_lookups: bool = False


@attrs.frozen(kw_only=True)
class FaultSettings:
    """The faults drawn by chance, for every provider or for one."""

    fail_rate: float
    kinds: tuple[FaultKind, ...]
    include_lookups: bool


class _Queued:
    __slots__ = ("calls_left", "fault")

    def __init__(self, fault: Fault, calls_left: int) -> None:
        self.fault = fault
        self.calls_left = calls_left


class FaultInjector:
    """Decides, call by call, which fault (if any) the sandbox applies.

    Queued faults (`inject`) come first, in order; then ``fail_rate`` draws with
    ``random.Random(seed)``, so a seed gives the same faults for the same calls.
    ``injected`` counts what was applied, by kind.
    """

    def __init__(
        self,
        *,
        fail_rate: float = 0.0,
        kinds: Sequence[str] | None = None,
        seed: int | str | None = None,
        include_lookups: bool = False,
        retry_after: float = 1.0,
        latency_ms: float = 250.0,
    ) -> None:
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, not {fail_rate!r}")
        if retry_after < 0 or latency_ms < 0:
            raise ValueError("retry_after and latency_ms must not be negative")
        chosen = tuple(fault_kind(kind) for kind in (kinds or RATE_FAULT_KINDS))
        self.fail_rate = fail_rate
        self.kinds = chosen
        self.include_lookups = include_lookups
        self.retry_after = retry_after
        self.latency_ms = latency_ms
        self.injected: Counter[str] = Counter()
        #: settings that differ for one provider (`configure` with ``provider``)
        self._scoped: dict[str, FaultSettings] = {}
        self._random = random.Random(seed)
        self._queue: deque[_Queued] = deque()
        self._lock = threading.Lock()

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        provider: str | None = None,
        retry_after: float | None = None,
        latency_ms: float | None = None,
        include_lookups: bool | None = None,
    ) -> None:
        """Apply ``kind`` to the next ``count`` eligible calls (after faults already queued)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count!r}")
        fault = Fault(
            kind=fault_kind(kind),
            retry_after=self.retry_after if retry_after is None else retry_after,
            latency_ms=self.latency_ms if latency_ms is None else latency_ms,
            provider=provider,
            include_lookups=self.include_lookups if include_lookups is None else include_lookups,
        )
        with self._lock:
            self._queue.append(_Queued(fault, count))

    def configure(
        self,
        *,
        fail_rate: float | None = None,
        kinds: Sequence[str] | None = None,
        include_lookups: bool | None = None,
        provider: str | None = None,
    ) -> None:
        """Change the drawn faults while calls go on (what is not given stays).

        With ``provider``, for that provider's calls only; without, for every provider
        (settings given to one provider before are forgotten).
        """
        if fail_rate is not None and not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, not {fail_rate!r}")
        chosen = None if kinds is None else tuple(fault_kind(kind) for kind in kinds)
        if chosen == ():
            raise ValueError("choose at least one fault kind")
        with self._lock:
            if provider is not None:
                current = self._settings(provider)
                self._scoped[provider] = FaultSettings(
                    fail_rate=current.fail_rate if fail_rate is None else fail_rate,
                    kinds=current.kinds if chosen is None else chosen,
                    include_lookups=(
                        current.include_lookups if include_lookups is None else include_lookups
                    ),
                )
                return
            self._scoped.clear()
            if fail_rate is not None:
                self.fail_rate = fail_rate
            if chosen is not None:
                self.kinds = chosen
            if include_lookups is not None:
                self.include_lookups = include_lookups

    def settings(self, provider: str | None = None) -> FaultSettings:
        """The faults drawn for ``provider``'s calls (None: for a provider not set apart)."""
        with self._lock:
            return self._settings(provider)

    def _settings(self, provider: str | None) -> FaultSettings:
        scoped = None if provider is None else self._scoped.get(provider)
        if scoped is not None:
            return scoped
        return FaultSettings(
            fail_rate=self.fail_rate, kinds=self.kinds, include_lookups=self.include_lookups
        )

    @property
    def pending(self) -> int:
        """Calls still to be hit by queued faults."""
        with self._lock:
            return sum(entry.calls_left for entry in self._queue)

    def clear(self) -> None:
        """Forget queued faults (the counts stay)."""
        with self._lock:
            self._queue.clear()

    def draw(self, provider: str, *, creates: bool) -> Fault | None:
        """The fault for this call, counted, or None."""
        with self._lock:
            fault = self._next_queued(provider, creates)
            drawn = self._settings(provider)
            eligible = creates or drawn.include_lookups
            if fault is None and eligible and drawn.fail_rate:  # noqa: SIM102 - draw only then
                if self._random.random() < drawn.fail_rate:
                    fault = Fault(
                        kind=self._random.choice(drawn.kinds),
                        retry_after=self.retry_after,
                        latency_ms=self.latency_ms,
                    )
            if fault is not None:
                self.injected[fault.kind] += 1
            return fault

    def _next_queued(self, provider: str, creates: bool) -> Fault | None:
        for entry in self._queue:
            fault = entry.fault
            if fault.provider not in (None, provider) or not (creates or fault.include_lookups):
                continue
            entry.calls_left -= 1
            if entry.calls_left == 0:
                self._queue.remove(entry)
            return fault
        return None
