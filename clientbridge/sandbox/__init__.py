"""Contract-faithful emulators of the built-in providers, for trying and testing without accounts.

Each emulator follows its provider page: paths, credential check, validation rules with
their status codes and bodies, response shapes, duplicate rejection, look-ups and id
formats, with created records kept in memory. Use them

* in process, as an httpx transport: ``cb.connect(provider, sandbox=True)`` or
  ``transport=clientbridge.sandbox.transport(provider)`` (a fresh `Sandbox` each time;
  make a `Sandbox` yourself to read its records or inject faults);
* as a real loopback server: ``python -m clientbridge.sandbox serve --provider NAME``
  or `clientbridge.sandbox.server.running_server` in tests.

Faults (429, 5xx, latency, dropped connections, a 500 after the record was created,
malformed JSON) are injected on demand with `Sandbox.inject` or by rate with a seed.
A rate limit (``Sandbox(rate_limit="20/s")``) answers 429 past a token bucket per
credential; ``GET /_sandbox/stats`` (`Sandbox.stats`) counts requests and those 429s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from clientbridge.sandbox._sandbox import RECORDS_PATH, STATS_PATH, Sandbox
from clientbridge.sandbox.emulators import EMULATORS, Emulator
from clientbridge.sandbox.faults import FAULT_KINDS, RATE_FAULT_KINDS, FaultKind
from clientbridge.sandbox.ratelimit import SandboxRateLimit

if TYPE_CHECKING:
    import httpx

    from clientbridge.sandbox.server import SandboxServer, running_server, serve

__all__ = [
    "DEFAULT_CREDENTIALS",
    "FAULT_KINDS",
    "RATE_FAULT_KINDS",
    "RECORDS_PATH",
    "SANDBOX_SETTINGS",
    "STATS_PATH",
    "FaultKind",
    "Sandbox",
    "SandboxRateLimit",
    "SandboxServer",
    "running_server",
    "serve",
    "transport",
]


class _ByEmulator(Mapping[str, str]):
    """One fact of each emulator, read when asked (so it follows `EMULATORS`)."""

    def __init__(self, read: Callable[[type[Emulator]], str]) -> None:
        self._read = read

    def __getitem__(self, provider: str) -> str:
        return self._read(EMULATORS[provider])

    def __iter__(self) -> Iterator[str]:
        return iter(EMULATORS)

    def __len__(self) -> int:
        return len(EMULATORS)


class _SandboxSettings(Mapping[str, Mapping[str, object]]):
    """Each emulated provider's settings that ``sandbox=True`` fills in: its adapter's
    declared ``sandbox_default`` values (read when asked, so the adapters load lazily)."""

    def __getitem__(self, provider: str) -> Mapping[str, object]:
        if provider not in EMULATORS:
            raise KeyError(provider)
        from clientbridge.registry import adapter_class

        return {
            setting.name: setting.sandbox_default
            for setting in adapter_class(provider).settings_spec
            if setting.sandbox_default is not None
        }

    def __iter__(self) -> Iterator[str]:
        return iter(EMULATORS)

    def __len__(self) -> int:
        return len(EMULATORS)


#: The adapter settings ``sandbox=True`` fills in, by provider (the adapters' own
#: defaults do the rest).
SANDBOX_SETTINGS: Mapping[str, Mapping[str, object]] = _SandboxSettings()
#: The credential each emulator accepts unless told otherwise.
DEFAULT_CREDENTIALS: Mapping[str, str] = _ByEmulator(lambda emulator: emulator.default_credential)


def transport(provider: str, *, asynchronous: bool = False, **options: Any) -> httpx.MockTransport:
    """An httpx transport answering as ``provider`` from a fresh `Sandbox`.

    ``options`` are `Sandbox`'s (``seed``, ``fail_rate``, ``latency_ms``,
    ``rate_limit``...). Use
    ``asynchronous=True`` for an `httpx.AsyncClient`.
    """
    return Sandbox(**options).transport(provider, asynchronous=asynchronous)


def __getattr__(name: str) -> Any:
    # The server (http.server, socketserver) is imported only when it is asked for.
    if name in ("SandboxServer", "running_server", "serve"):
        from clientbridge.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module 'clientbridge.sandbox' has no attribute {name!r}")
