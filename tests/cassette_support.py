"""Cassette support: where each scenario is recorded and replayed, and how cassettes are scrubbed.

Plain code, no fixtures (those are in ``tests/cassette_tests/conftest.py``):

* `Target` — what a scenario talks to: the sandbox server while recording, a fixed fake
  base URL while replaying, or a live account from ``CLIENTBRIDGE_LIVE_*`` variables;
* `Scrubber` — the library's `CassetteScrubber` (what ``clientbridge.testing.vcr_config``
  records through): known credentials replaced anywhere in URLs, headers and bodies, the
  origin rewritten;
* `json_body` — a matcher comparing JSON bodies whatever their key order;
* `credential_leaks` — what the scan test reports for one cassette file.

docs/cassettes.md explains how they fit together.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from time import struct_time
from typing import Any

import attrs
import httpx
import yaml

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.sandbox import DEFAULT_CREDENTIALS, Sandbox
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.server import SandboxServer
from clientbridge.testing.cassettes import (
    COOKIE_HEADERS,
    REDACTED,
    CassetteScrubber,
    credential_places,
    secret_forms,
)
from tests.providers import BUILTINS, fixture

__all__ = [
    "AUTH_HEADERS",
    "CASSETTES",
    "CASSETTE_CREDENTIALS",
    "COOKIE_HEADERS",
    "FROZEN_TIME",
    "LIVE_CASSETTES",
    "LIVE_REPLAY_TAG",
    "NOISY_HEADERS",
    "PROVIDERS",
    "REDACTED",
    "SEED",
    "WRONG_CREDENTIALS",
    "FrozenClock",
    "Scrubber",
    "Target",
    "cassette_files",
    "credential_leaks",
    "credential_setting",
    "json_body",
    "known_credentials",
    "live_env_name",
    "live_settings",
    "new_email_tag",
    "replay_origin",
    "replay_settings",
]

CASSETTES = Path(__file__).resolve().parent / "cassettes"
#: Recordings from live accounts: kept apart (and out of git) so they never replace the
#: sandbox recordings CI replays, and never get committed with an account's data by accident.
LIVE_CASSETTES = CASSETTES / "live"
PROVIDERS = BUILTINS

#: The headers every registered adapter sends its credential in, read from the adapters.
AUTH_HEADERS = credential_places().headers
#: Request headers left out of cassettes: never matched, and they change with the httpx
#: version or the recording port. (An id sent in a header is not a secret: kept.)
NOISY_HEADERS = ("host", "user-agent", "accept", "accept-encoding", "connection", "content-length")

#: Every recording server gets this seed, so ids are the same at every re-recording.
SEED = 2024
#: The sandbox clock while recording: 2024-01-15T10:00:00Z, a provider page's example.
#: ObjectIds start with the time and records carry ``createdAt``; a frozen clock keeps
#: both (and so the cassettes) identical from one recording to the next.
FROZEN_TIME = 1705312800

#: The credential each recording server accepts: not the sandbox defaults, so the scan
#: test proves the fixtures' own credentials are scrubbed too.
CASSETTE_CREDENTIALS: Mapping[str, str] = {
    provider: fixture(provider).cassette_credential for provider in PROVIDERS
}
#: A credential each provider refuses (the 401 scenarios); scrubbed like the others.
WRONG_CREDENTIALS: Mapping[str, str] = {
    provider: f"wrong-{provider}-credential-0000" for provider in PROVIDERS
}

#: In live recordings the per-run e-mail tag is stored as this, so replays match.
LIVE_REPLAY_TAG = "cbrun"


# --------------------------------------------------------------------------- settings


def credential_setting(provider: str) -> str:
    """The adapter setting that holds the credential (``api_key``, ``token``)."""
    return next(setting.name for setting in adapter_class(provider).settings_spec if setting.secret)


def replay_origin(provider: str) -> str:
    """Where replays send their requests: a host that cannot resolve, never contacted."""
    return f"https://{provider}.cassette.invalid"


def replay_settings(provider: str) -> dict[str, Any]:
    """The settings of a replay: the recording server's, at the fixed fake origin."""
    emulator = EMULATORS[provider](credential=CASSETTE_CREDENTIALS[provider])
    return dict(emulator.connect_settings(replay_origin(provider)))


def live_env_name(provider: str, setting: str) -> str:
    """``CLIENTBRIDGE_LIVE_<PROVIDER>_<SETTING>``, e.g. ``..._TOKEN`` for a ``token``."""
    return f"CLIENTBRIDGE_LIVE_{provider.upper()}_{setting.upper()}"


def live_settings(provider: str, environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """The live account's settings from the environment, or None when its credential is
    not set. Every adapter setting can be given (``..._BASE_URL``, ``..._WORKSPACE_ID``)."""
    found = {}
    for setting in adapter_class(provider).settings_spec:
        value = environ.get(live_env_name(provider, setting.name), "").strip()
        if value:
            found[setting.name] = value
    return found if credential_setting(provider) in found else None


def known_credentials(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Every credential a cassette must never hold, by a label that does not reveal it."""
    known: dict[str, str] = {}
    for provider in PROVIDERS:
        known[f"the {provider} sandbox default"] = DEFAULT_CREDENTIALS[provider]
        known[f"the {provider} recording credential"] = CASSETTE_CREDENTIALS[provider]
        known[f"the {provider} wrong credential"] = WRONG_CREDENTIALS[provider]
        for setting in adapter_class(provider).settings_spec:
            if not setting.secret:
                continue
            if isinstance(setting.sandbox_default, str):
                known[f"the {provider} {setting.name} sandbox default"] = setting.sandbox_default
            name = live_env_name(provider, setting.name)
            value = environ.get(name, "").strip()
            if value:
                known[f"${name}"] = value
    return known


# --------------------------------------------------------------------------- recording clock


class FrozenClock:
    """Stands in for the ``time`` module of the sandbox emulators while recording."""

    def __init__(self, now: float) -> None:
        self._now = now

    def time(self) -> float:
        return self._now

    def gmtime(self, seconds: float | None = None) -> struct_time:
        return time.gmtime(self._now if seconds is None else seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


# --------------------------------------------------------------------------- the target


class _AnyOf:
    """Equal to any non-empty value of one type (a live account's ids and timestamps)."""

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.kind) and bool(other)

    def __hash__(self) -> int:
        return hash(self.kind)

    def __repr__(self) -> str:
        return f"<any {self.kind.__name__}>"


@attrs.define
class Target:
    """What a scenario talks to, and the values it may pin.

    Recording against the sandbox: ``server`` is the running sandbox server. Replaying:
    no server, ``settings`` point at `replay_origin`. Live: ``settings`` come from
    ``CLIENTBRIDGE_LIVE_*`` and the values the provider assigns cannot be pinned.
    """

    provider: str
    settings: dict[str, Any]
    server: SandboxServer | None = None
    live: bool = False
    #: added to e-mail addresses against a live account, whose records outlive a run
    email_tag: str = ""
    #: replays share one TLS context (never used: nothing is sent) instead of loading the
    #: CA bundle for every connection, which would cost more than the replay itself
    tls: ssl.SSLContext | None = None

    #: every request gets a timeout: nothing in these tests may hang
    timeout = 5.0

    @property
    def sandbox(self) -> Sandbox | None:
        """The recording server's sandbox (None when replaying or live)."""
        return None if self.server is None else self.server.sandbox

    def connect(self, **overrides: Any) -> cb.Connection:
        if self.tls is not None:
            overrides.setdefault("transport", httpx.HTTPTransport(verify=self.tls))
        return cb.connect(self.provider, timeout=self.timeout, **{**self.settings, **overrides})

    def connect_async(self, **overrides: Any) -> cb.AsyncConnection:
        if self.tls is not None:
            overrides.setdefault("transport", httpx.AsyncHTTPTransport(verify=self.tls))
        return cb.connect_async(
            self.provider, timeout=self.timeout, **{**self.settings, **overrides}
        )

    def wrong_credential(self) -> dict[str, str]:
        """The settings override that makes the provider answer 401."""
        return {credential_setting(self.provider): WRONG_CREDENTIALS[self.provider]}

    def inject(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue a sandbox fault while recording; a replay finds its answer in the cassette.

        Scenarios that inject are marked ``sandbox_only``: a live account never gets here.
        """
        if self.sandbox is not None:
            self.sandbox.inject(kind, count, **options)

    def email(self, address: str) -> str:
        """``address``, tagged per run against a live account (``ada+cb1f2e@example.com``)."""
        if not self.email_tag:
            return address
        local, _, domain = address.rpartition("@")
        return f"{local}+{self.email_tag}@{domain}"

    def client(self, client: cb.Client) -> cb.Client:
        """``client`` with its e-mail tagged as `email` does."""
        return (
            client if client.email is None else attrs.evolve(client, email=self.email(client.email))
        )

    def pinned(self, value: Any) -> Any:
        """``value`` (what the sandbox answers); against a live account, any value of its type."""
        return _AnyOf(type(value)) if self.live else value


def new_email_tag() -> str:
    return "cb" + secrets.token_hex(4)


# --------------------------------------------------------------------------- scrubbing

#: The scrubber is the library's own (clientbridge.testing.vcr_config uses it): one owner.
Scrubber = CassetteScrubber


def json_body(first: Any, second: Any) -> None:
    """vcrpy matcher: the same JSON body whatever the key order (other bodies: same bytes).

    Values compare by their JSON text, so ``false`` never matches ``0``.
    """
    one, other = _canonical_body(first.body), _canonical_body(second.body)
    if one != other:
        raise AssertionError(f"the bodies differ:\n{one!r}\n{other!r}")


def _canonical_body(body: Any) -> Any:
    if not body:
        return None
    raw = body.encode() if isinstance(body, str) else body
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return raw


# --------------------------------------------------------------------------- the scan


def cassette_files(root: Path = CASSETTES) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


def _strings(value: Any) -> Iterator[str]:
    """Every string in a loaded cassette, keys included (binary bodies decoded)."""
    if isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _header_values(headers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            yield str(name), str(value)


def credential_leaks(path: Path, known: Mapping[str, str]) -> list[str]:
    """What in one cassette file holds a credential: known values anywhere in it (as is or
    percent-encoded, in the file's text or in any string it loads to, since YAML may fold
    a long string), auth headers holding anything but the redaction marker, and cookies."""
    text = path.read_text(encoding="utf-8")
    cassette = yaml.safe_load(text)
    haystacks = [text, *_strings(cassette)]
    leaks = [
        f"{path.name}: holds {label}"
        for label, value in known.items()
        if any(form in haystack for form in secret_forms([value]) for haystack in haystacks)
    ]
    for number, interaction in enumerate(cassette["interactions"]):
        for side in ("request", "response"):
            for name, value in _header_values(interaction[side].get("headers") or {}):
                where = f"{path.name}: interaction {number} {side} header {name}"
                if name.lower() in AUTH_HEADERS and value != REDACTED:
                    leaks.append(f"{where} is not {REDACTED}")
                elif name.lower() in COOKIE_HEADERS:
                    leaks.append(f"{where} is kept (cookies are dropped)")
    return leaks
