"""Settings: the schema adapters declare, and how raw values become checked settings.

The bottom of the configuration stack, below adapters and connections: a `Setting` says
what one adapter setting accepts and converts a raw value (credentials become `Secret`,
base URLs are checked); `ConnectionOptions` are the options every connection takes;
`resolve_settings` splits what a caller passed (keyword arguments or a config file's
table) into the two, with errors that name the setting and where it came from.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.ratelimit import Rate, RateLimitMode, check_rate_options
from clientbridge.secrets import Secret

__all__ = [
    "OPTION_NAMES",
    "TOTAL_TIMEOUT_FACTOR",
    "ConnectionOptions",
    "Setting",
    "UnsupportedMode",
    "check_base_url",
    "check_known_settings",
    "resolve_settings",
    "total_timeout_for",
]

#: What a connection does with a field its provider cannot take.
UnsupportedMode = Literal["warn", "error", "ignore"]
_ON_UNSUPPORTED: tuple[UnsupportedMode, ...] = ("warn", "error", "ignore")


class DeclaresSettings(Protocol):
    """What `resolve_settings` reads of an adapter class: its name and settings."""

    @property
    def name(self) -> str: ...

    @property
    def settings_spec(self) -> Sequence[Setting]: ...


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
#: What a value sent in an HTTP header may hold: visible ASCII and spaces (RFC 9110).
_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")


@attrs.frozen(kw_only=True)
class Setting:
    """One setting an adapter accepts (``api_key``, ``base_url``...)."""

    name: str
    description: str
    required: bool = False
    secret: bool = False
    kind: type = str
    default: object = None
    #: used instead of ``default`` with ``sandbox=True`` (credentials, ids, base URL)
    sandbox_default: object = None
    #: the value names something in the provider account (an id the adapter can also look
    #: up): a connection tried in the sandbox leaves it out, as it does the settings with
    #: a ``sandbox_default``, since the sandbox's account does not have it
    account_specific: bool = False
    choices: tuple[str, ...] = ()
    #: the value goes into a URL path segment: percent-encoded, and ``/`` or ``..`` refused
    path_segment: bool = False
    #: the value is a base URL: absolute http(s), ``http`` only for loopback hosts
    url: bool = False
    #: the value is sent in an HTTP header (credentials always are): ASCII only
    header: bool = False

    def convert(self, value: object, where: str) -> object:
        """Check and convert a raw value; ``where`` names its origin for errors."""
        if self.kind is bool:
            return _to_bool_setting(value, where)
        if self.kind is int:
            return _to_int_setting(value, where)
        text = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(text, str):
            raise ConfigurationError(f"{where} must be a string, not {type(text).__name__}")
        text = text.strip()
        if not text:
            raise ConfigurationError(f"{where} is empty; give a value or leave it out")
        if _CONTROL_CHARACTERS.search(text):
            raise ConfigurationError(
                f"{where} contains a control character (CR, LF, NUL...); remove it"
            )
        if (self.header or self.secret) and not _HEADER_SAFE.fullmatch(text):
            raise ConfigurationError(
                f"{where} contains a character that cannot be sent in an HTTP header (only "
                "ASCII letters, digits and punctuation can); check that it was copied whole"
            )
        if self.choices and text not in self.choices:
            raise ConfigurationError(f"{where} must be one of {', '.join(self.choices)}")
        if self.path_segment and ("/" in text or text in {".", ".."}):
            raise ConfigurationError(f"{where} must not contain '/' or be '.' or '..'")
        if self.url:
            text = check_base_url(text, where)
        return Secret(text) if self.secret else text


def _to_bool_setting(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off"}:
        return False
    raise ConfigurationError(f"{where} must be true or false, not {value!r}")


def _to_int_setting(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ConfigurationError(f"{where} must be a whole number, not {value!r}")


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1); not a name like 127.example."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown_url(url: str) -> str:
    """``url`` for an error message: what comes before an ``@`` may be a password, so it
    is masked (even in a URL too malformed to split into its parts)."""
    if "@" not in url:
        return url
    scheme, separator, _ = url.partition("://")
    prefix = scheme + separator if separator else ""
    return f"{prefix}***@{url.rpartition('@')[2]}"


def check_base_url(url: str, where: str) -> str:
    """An absolute http(s) URL without a trailing slash; plain http only to loopback."""
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port  # both raise on a malformed host or port
    except ValueError:
        raise ConfigurationError(
            f"{where} must be an absolute http(s) URL with a valid host and port, "
            f"not {_shown_url(url)!r}"
        ) from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise ConfigurationError(
            f"{where} must be an absolute http(s) URL, not {_shown_url(url)!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError(f"{where} must not carry credentials in the URL")
    if parts.scheme == "http" and not _is_loopback(hostname):
        raise ConfigurationError(
            f"{where} uses plain http to {hostname}; use https (plain http is "
            "allowed only for localhost/127.0.0.1, e.g. the sandbox server)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{where} must not have a query string or fragment")
    return url.rstrip("/")


@attrs.frozen(kw_only=True)
class ConnectionOptions:
    """The options every connection takes, whatever the provider."""

    #: seconds each network operation may take (connect, each read, each write, pool)
    timeout: float | None = 30.0
    #: seconds one attempt of a request may take in all (connect, send, the whole answer);
    #: None: `TOTAL_TIMEOUT_FACTOR` times ``timeout`` unless given (given as None: no bound)
    total_timeout: float | None = None
    max_retries: int = 3
    on_unsupported: UnsupportedMode = "warn"
    max_concurrency: int = 8
    transport: Any = None
    http_client: Any = None
    sandbox: bool = False
    #: False disables TLS certificate checks (logged as a warning); never do it in production
    verify_tls: bool = True
    #: whether ``timeout`` was given (a caller's ``http_client`` keeps its own otherwise)
    timeout_given: bool = False
    #: whether ``total_timeout`` was given (else it is derived from the timeout)
    total_timeout_given: bool = False
    #: ``"auto"`` (learn the limit from 429s), ``"off"``, or a `Rate` such as ``10/s``
    rate_limit: Rate | RateLimitMode = "auto"
    #: where the limit is kept: None in this process, else a Redis URI (it may hold a password)
    rate_limit_storage: Secret | None = None
    #: the ledger creates are kept in (exactly once): a `clientbridge.Ledger`, or its
    #: location (a file path or a redis:// URL), opened by the connection
    ledger: Any = attrs.field(default=None, repr=False)  # a Redis URL may hold a password
    #: seconds after an attempt whose outcome is unknown before a look-up that finds
    #: nothing is trusted (None: the total timeout plus 10 s)
    settle_after: float | None = None


OPTION_NAMES = frozenset(attrs.fields_dict(ConnectionOptions)) - {
    "timeout_given",
    "total_timeout_given",
}

#: The default ``total_timeout`` is this many times ``timeout``: connecting, sending and
#: reading the answer may each take up to the timeout, but no longer in all.
TOTAL_TIMEOUT_FACTOR = 3


def total_timeout_for(timeout: float | None) -> float | None:
    """The ``total_timeout`` a connection gets when none is given: `TOTAL_TIMEOUT_FACTOR`
    times its ``timeout`` (None, no bound, when the timeout is None)."""
    return None if timeout is None else TOTAL_TIMEOUT_FACTOR * timeout


def _options(raw: Mapping[str, Any], where: str) -> ConnectionOptions:
    values: dict[str, Any] = {}
    for name in ("timeout", "total_timeout"):
        if name in raw:
            seconds = raw[name]
            if seconds is not None and (
                isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0
            ):
                raise ConfigurationError(f"{where}{name} must be a positive number of seconds")
            values[name] = None if seconds is None else float(seconds)
            values[f"{name}_given"] = True
    for name in ("max_retries", "max_concurrency"):
        if name in raw:
            value = raw[name]
            minimum = 0 if name == "max_retries" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"{where}{name} must be a whole number >= {minimum}")
            values[name] = value
    if "on_unsupported" in raw:
        if raw["on_unsupported"] not in _ON_UNSUPPORTED:
            raise ConfigurationError(
                f"{where}on_unsupported must be one of {', '.join(_ON_UNSUPPORTED)}, "
                f"not {raw['on_unsupported']!r}"
            )
        values["on_unsupported"] = raw["on_unsupported"]
    for name in ("sandbox", "verify_tls"):
        if name in raw:
            if not isinstance(raw[name], bool):
                raise ConfigurationError(f"{where}{name} must be true or false")
            values[name] = raw[name]
    for name in ("transport", "http_client"):
        if raw.get(name) is not None:
            values[name] = raw[name]
    if raw.get("settle_after") is not None:
        seconds = raw["settle_after"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ConfigurationError(f"{where}settle_after must be a number of seconds (>= 0)")
        values["settle_after"] = float(seconds)
    if raw.get("ledger") is not None:
        ledger = raw["ledger"]
        if isinstance(ledger, str | os.PathLike):
            ledger = os.fspath(ledger)
            if not isinstance(ledger, str) or not ledger.strip():
                raise ConfigurationError(
                    f"{where}ledger must be a file path or a redis:// URL, not {ledger!r}"
                )
        elif not hasattr(ledger, "create_async"):
            raise ConfigurationError(
                f"{where}ledger must be a clientbridge.Ledger, a file path or a redis:// "
                f"URL, not {type(ledger).__name__}"
            )
        values["ledger"] = ledger
    values.update(check_rate_options(raw, where))
    return ConnectionOptions(**values)


def check_known_settings(
    adapter: DeclaresSettings, raw: Mapping[str, Any], *, where: str = ""
) -> None:
    """Raise `ConfigurationError` naming every key of ``raw`` that is neither one of the
    adapter's settings nor a connection option, each with its likeliest meaning."""
    spec = [setting.name for setting in adapter.settings_spec]
    unknown = [name for name in raw if name not in spec and name not in OPTION_NAMES]
    if not unknown:
        return
    import difflib  # only for the hint: `import clientbridge` stays light

    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, [*spec, *sorted(OPTION_NAMES)], n=1)
        described.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    plural = "s" if len(unknown) > 1 else ""
    raise ConfigurationError(
        f"{where}unknown setting{plural} {', '.join(described)} for {adapter.name}. "
        f"{adapter.name} takes: {', '.join(spec)}."
    )


def resolve_settings(
    adapter: DeclaresSettings, raw: Mapping[str, Any], *, where: str = ""
) -> tuple[dict[str, object], ConnectionOptions]:
    """Split ``raw`` into checked adapter settings and connection options.

    ``where`` prefixes error messages (e.g. ``"clientbridge.toml, connection 'uk': "``).
    """
    options = _options(raw, where)
    check_known_settings(adapter, raw, where=where)
    spec = {setting.name: setting for setting in adapter.settings_spec}
    settings: dict[str, object] = {}
    for name, setting in spec.items():
        value = raw.get(name)
        if value is None and options.sandbox:
            value = setting.sandbox_default
        if value is None:
            value = setting.default
        if value is None:
            if setting.required:
                raise ConfigurationError(
                    f"{where}missing setting {name!r} for {adapter.name}: {setting.description}."
                )
            continue
        settings[name] = setting.convert(value, f"{where}setting {name!r}")
    return settings, options
