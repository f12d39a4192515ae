"""Cassettes without secrets: `vcr_config` and the `CassetteScrubber` behind it.

Where credentials travel is read from the adapters themselves, so a provider added
later (a built-in or a plug-in) is scrubbed without a change here: each registered
adapter's secret settings (``api_key``, ``token``...) and the headers its `auth_headers`
fills with them. The secrets an app names are replaced wherever they appear — URL,
headers, request and answer bodies (JSON or not), as is or percent-encoded — before a
cassette is written. vcrpy also runs ``before_record_request`` on every live request
before matching it, so a scrubbed cassette still matches the requests it recorded.

vcrpy's own ``filter_post_data_parameters`` is not used: it does nothing for a body sent
as ``application/json; charset=utf-8`` and sees top-level keys only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.registry import adapter_class, providers
from clientbridge.secrets import Secret
from clientbridge.settings import Setting, resolve_settings

__all__ = [
    "COOKIE_HEADERS",
    "REDACTED",
    "CassetteScrubber",
    "CredentialPlaces",
    "credential_places",
    "secret_forms",
    "vcr_config",
]

#: What a credential reads as in a cassette.
REDACTED = "REDACTED"
#: Session cookies are credentials no one can name in advance: never kept, either way.
COOKIE_HEADERS = ("cookie", "set-cookie")
#: Planted in every secret setting to find where an adapter sends its credentials.
_PROBE = "cb-cassette-probe-4f1d2c"


@attrs.frozen
class CredentialPlaces:
    """Where the registered adapters send credentials (names lower-cased)."""

    #: request headers that carry a credential (``authorization``, ``x-api-key``...)
    headers: tuple[str, ...]
    #: query parameters and JSON keys that carry one (the secret settings' names, and any
    #: parameter a credential check sends one in)
    parameters: tuple[str, ...]


def credential_places() -> CredentialPlaces:
    """Where every registered adapter (built-ins and plug-ins) sends its credentials."""
    return _places_of(tuple(providers()))


@functools.lru_cache(maxsize=4)
def _places_of(registered: tuple[str, ...]) -> CredentialPlaces:
    headers: set[str] = set()
    parameters: set[str] = set()
    for provider in registered:
        try:
            cls = adapter_class(provider)
        except ConfigurationError:  # a broken plug-in: the others are still scrubbed
            continue
        parameters.update(setting.name.lower() for setting in cls.settings_spec if setting.secret)
        for settings in _probe_settings(cls.settings_spec):
            try:
                values, _ = resolve_settings(cls, settings)
            except ConfigurationError:
                continue
            adapter = cls(values)
            requests = [adapter.credential_check()]
            for name, value in adapter.auth_headers().items():
                if isinstance(value, Secret) or _PROBE in value:
                    headers.add(name.lower())
            for request in filter(None, requests):
                headers.update(
                    name.lower()
                    for name, value in request.wire_headers().items()
                    if _PROBE in value
                )
                parameters.update(
                    name.lower()
                    for name, value in parse_qsl(urlsplit(request.url).query)
                    if _PROBE in value
                )
    return CredentialPlaces(headers=tuple(sorted(headers)), parameters=tuple(sorted(parameters)))


def _probe_settings(spec: Iterable[Setting]) -> list[dict[str, Any]]:
    """Settings with the probe in every secret, once per choice of each setting that has
    choices (an ``auth_scheme`` may move the credential to another header)."""
    spec = list(spec)
    base: dict[str, Any] = {"sandbox": True}
    for setting in spec:
        if setting.secret:
            base[setting.name] = _PROBE
        elif setting.required and setting.default is None and setting.sandbox_default is None:
            base[setting.name] = _placeholder(setting)
    variants = [base]
    for setting in spec:
        variants.extend({**base, setting.name: choice} for choice in setting.choices)
    return variants


def _placeholder(setting: Setting) -> object:
    """A valid value for a required setting with no default, to build a probe adapter."""
    if setting.kind is bool:
        return False
    if setting.kind is int:
        return 1
    return "https://probe.invalid" if setting.url else "probe"


def secret_forms(values: Iterable[str | Secret]) -> tuple[str, ...]:
    """The forms each secret may take in a cassette: as is and percent-encoded, longest
    first (a key may contain another)."""
    texts = [value.reveal() if isinstance(value, Secret) else value for value in values]
    found = {
        form for text in texts if text for form in (text, quote(text, safe=""), quote_plus(text))
    }
    return tuple(sorted(found, key=len, reverse=True))


@attrs.define
class CassetteScrubber:
    """vcrpy's ``before_record_request`` / ``before_record_response`` hooks that take
    credentials out of what is recorded.

    ``secrets`` are replaced wherever they appear; the values of ``sensitive_keys`` (JSON
    keys and query parameters, by default every registered adapter's secret settings)
    are replaced whatever they are. ``origin`` (``"https://host"``), when given, replaces
    every request's scheme and host, and ``replacements`` are other ``(old, new)`` texts.
    """

    secrets: tuple[str, ...] = attrs.field(converter=secret_forms, default=())
    origin: str | None = None
    replacements: tuple[tuple[str, str], ...] = ()
    sensitive_keys: frozenset[str] = attrs.field(
        factory=lambda: frozenset(credential_places().parameters), converter=frozenset
    )

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for old, new in self.replacements:
            text = text.replace(old, new)
        return text

    def body(self, body: bytes | str | None) -> bytes | str | None:
        """A body with secrets replaced; a JSON body stays valid JSON, and one with
        nothing to replace is returned untouched (the cassette shows what was sent)."""
        if not body:
            return body
        raw = body.encode() if isinstance(body, str) else body
        try:
            data = json.loads(raw)
        except ValueError:
            text = raw.decode("utf-8", "surrogateescape")
            scrubbed = self.text(text)
            return body if scrubbed == text else scrubbed.encode("utf-8", "surrogateescape")
        cleaned = self._walk(data)
        if cleaned == data:
            return body
        return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode()

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, dict):
            return {
                self.text(key): (
                    REDACTED
                    if key.lower() in self.sensitive_keys and isinstance(item, str)
                    else self._walk(item)
                )
                for key, item in value.items()
            }
        return value

    def _uri(self, uri: str) -> str:
        parts = urlsplit(uri)
        scheme, netloc = parts.scheme, parts.netloc
        if self.origin is not None:
            origin = urlsplit(self.origin)
            scheme, netloc = origin.scheme, origin.netloc
        return self.text(urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment)))

    def before_record_request(self, request: Any) -> Any:
        request.uri = self._uri(request.uri)
        request.body = self.body(request.body)
        for name in list(request.headers):
            value = request.headers[name]
            if isinstance(value, str):
                request.headers[name] = self.text(value)
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers") or {}
        for name in [name for name in headers if name.lower() in COOKIE_HEADERS]:
            del headers[name]
        for name, values in headers.items():
            headers[name] = [self.text(value) for value in values]
        body = response.get("body") or {}
        if body.get("string"):
            scrubbed = self.body(body["string"])
            if scrubbed is not body["string"]:
                body["string"] = scrubbed
                size = len(scrubbed.encode() if isinstance(scrubbed, str) else scrubbed or b"")
                for name in headers:
                    if name.lower() == "content-length":
                        headers[name] = [str(size)]
        return response

    def vcr_config(self) -> dict[str, Any]:
        """The vcrpy configuration that records through this scrubber."""
        places = credential_places()
        return {
            "filter_headers": [
                *((name, REDACTED) for name in places.headers),
                *COOKIE_HEADERS,
            ],
            "filter_query_parameters": [(name, REDACTED) for name in sorted(self.sensitive_keys)],
            "before_record_request": self.before_record_request,
            "before_record_response": self.before_record_response,
            # The default leaves the body out: two creates of different clients would
            # replay the same answer. vcrpy's body matcher compares JSON by value.
            "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
            "decode_compressed_response": True,
        }


def vcr_config(*secrets: str | Secret) -> dict[str, Any]:
    """A ready ``vcr_config`` (pytest-recording's fixture of that name, or
    ``vcr.VCR(**vcr_config(...))``) that keeps credentials out of cassettes.

    Every registered provider's credential headers and query parameters are replaced by
    ``REDACTED``, cookies are dropped, and each of ``secrets`` (your real keys, tokens,
    ids you would rather not publish) is replaced wherever it appears in requests and
    answers, before the cassette is written. Requests match on method, URL and body::

        @pytest.fixture(scope="module")
        def vcr_config():
            return clientbridge.testing.vcr_config(os.environ.get("CRM_API_KEY", ""))
    """
    return CassetteScrubber(secrets=secrets).vcr_config()
