"""What every emulator shares: routes, the request and reply types, ids, auth and errors.

An emulator is sans-I/O like the adapters it serves: a `SandboxRequest` in, a `Reply`
out. The in-process transport and the loopback server do the I/O (and the sleeping).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

__all__ = [
    "CREATED",
    "EMAIL_SHAPE",
    "Emulator",
    "Ids",
    "Outcome",
    "OutcomeKind",
    "Problems",
    "Rejected",
    "Reply",
    "Route",
    "SandboxRequest",
    "is_http_url",
    "optional_text",
    "utc_now",
]

JSON_HEADERS: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
#: Deliberately loose: the providers' own checks are not documented beyond "an email".
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def encode_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def utc_now() -> str:
    """The current time as the providers write it: ``2024-01-15T10:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def is_http_url(value: object) -> bool:
    if not isinstance(value, str) or " " in value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Rejected(Exception):
    """Raised by a route handler: answer ``status`` with the provider's error body."""

    def __init__(self, status: int, message: str, fields: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = tuple(fields)


class Problems:
    """Field problems collected while checking a body, raised together."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def raise_if_any(self, status: int, message: str) -> None:
        if self.items:
            raise Rejected(status, message, self.items)


def optional_text(
    body: Mapping[str, Any],
    field: str,
    problems: Problems,
    *,
    required: bool = False,
    min_length: int = 0,
    max_length: int | None = None,
    prefix: str = "",
) -> str | None:
    """``body[field]`` when it is text (or absent/null and not required), else a problem.

    ``prefix`` names the enclosing object in problems (``"address."``).
    """
    value = body.get(field)
    name = prefix + field
    if value is None:
        if required:
            problems.add(name, f"The {name} field is required.")
        return None
    if not isinstance(value, str):
        problems.add(name, f"The {name} field must be a string.")
    elif required and not value.strip():
        problems.add(name, f"The {name} field is required.")
    elif len(value) < min_length:
        problems.add(name, f"The {name} field must be at least {min_length} characters.")
    elif max_length is not None and len(value) > max_length:
        problems.add(name, f"The {name} field may not be greater than {max_length} characters.")
    else:
        return value
    return None


class SandboxRequest:
    """One HTTP request as an emulator reads it.

    ``headers`` has lower-case names; ``header_names`` keeps the names as sent, for the
    one provider whose documentation insists on a header's casing. The body may be read
    lazily (the server does not read it when a fault drops the connection first).
    """

    __slots__ = ("_body", "_read_body", "header_names", "headers", "method", "path", "query")

    def __init__(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | Callable[[], bytes] = b"",
    ) -> None:
        self.method = method.upper()
        self.path, _, self.query = target.partition("?")
        names = []
        lowered = {}
        for name, value in headers:
            names.append(name)
            lowered[name.lower()] = value
        self.header_names = tuple(names)
        self.headers = lowered
        if callable(body):
            self._body: bytes | None = None
            self._read_body: Callable[[], bytes] | None = body
        else:
            self._body, self._read_body = body, None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def body(self) -> bytes:
        if self._body is None:
            assert self._read_body is not None
            self._body = self._read_body()
        return self._body

    def json(self) -> Any:
        """The decoded body; a `Rejected` 400 when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise Rejected(400, "The request body is not valid JSON.") from None

    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


OutcomeKind = Literal["created", "partial", "refused", "not_processed"]


@attrs.frozen
class Outcome:
    """What a create did, as the emulator that answered it knows (not read from the status).

    ``created``: every client sent was created; ``partial``: some were, those in
    ``refused`` were not; ``refused``: none was, for ``reason``; ``not_processed``: the
    request never reached the emulator's logic (an injected fault, the rate limit, a
    dropped connection).
    """

    kind: OutcomeKind
    reason: str = ""
    #: in a create of several clients, each refused client's key (lower-cased email) and why
    refused: Mapping[str, str] = attrs.field(factory=dict)

    def for_client(self, key: str) -> Outcome:
        """What this create did for the client ``key`` (one of several, or the only one)."""
        if key in self.refused:
            return Outcome("refused", self.refused[key])
        if self.kind == "partial":
            return Outcome("created")
        return self


CREATED = Outcome("created")


class Reply:
    """One answer: status, headers and body, plus what the I/O layer must do first."""

    __slots__ = ("body", "delay", "disconnect", "fault", "headers", "outcome", "status", "stream")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: tuple[tuple[str, str], ...] = JSON_HEADERS,
        *,
        delay: float = 0.0,
        disconnect: bool = False,
        outcome: Outcome | None = None,
        stream: Iterator[bytes] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers
        #: seconds to wait before answering (latency)
        self.delay = delay
        #: drop the connection instead of answering
        self.disconnect = disconnect
        #: the kind of the fault injected into this answer, if any
        self.fault: str | None = None
        #: what a create did (None for anything else)
        self.outcome = outcome
        #: the body's chunks, written as they come after the headers (instead of ``body``)
        self.stream = stream

    @classmethod
    def json(
        cls,
        status: int,
        data: Any,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        outcome: Outcome | None = None,
    ) -> Reply:
        return cls(status, encode_json(data), JSON_HEADERS + headers, outcome=outcome)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.body[:80]!r}>"


class Route:
    """``method`` + a path template such as ``/v1/workspace/{workspace_id}/clients``."""

    __slots__ = ("creates", "handler", "method", "pattern", "template")

    def __init__(self, method: str, template: str, handler: str, *, creates: bool = False) -> None:
        self.method = method
        self.template = template
        #: the emulator method that answers it
        self.handler = handler
        #: a create call (faults apply to these by default)
        self.creates = creates
        self.pattern = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


class Ids:
    """Record ids in the providers' formats, reproducible from the sandbox's seed."""

    #: 62**5 five-character ids, walked in a scrambled order: unique without a memory
    _SHORT_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    _SHORT_SPACE = 62**5
    _SHORT_STRIDE = 3**18  # coprime with 62, so the walk visits every id once

    def __init__(self, rng: random.Random) -> None:
        self._random = rng
        self._process = rng.getrandbits(40)
        self._counter = rng.getrandbits(24)
        self._short = rng.randrange(self._SHORT_SPACE)

    def object_id(self) -> str:
        """24 hex digits laid out like a MongoDB ObjectId (time, process, counter)."""
        self._counter = (self._counter + 1) & 0xFFFFFF
        return f"{int(time.time()) & 0xFFFFFFFF:08x}{self._process:010x}{self._counter:06x}"

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def short_id(self) -> str:
        """Five letters and digits, such as ``uLu8K``."""
        self._short = (self._short + self._SHORT_STRIDE) % self._SHORT_SPACE
        number, letters = self._short, []
        for _ in range(5):
            number, digit = divmod(number, 62)
            letters.append(self._SHORT_ALPHABET[digit])
        return "".join(letters)


class Emulator:
    """One provider's documented behaviour, with its records kept in memory.

    Subclasses declare ``routes`` and the credential, and write one method per route
    taking ``(request, params)`` and returning a `Reply` (or raising `Rejected`).
    """

    provider: ClassVar[str]
    display_name: ClassVar[str]
    default_credential: ClassVar[str]
    #: the adapter setting that carries the credential
    credential_setting: ClassVar[str] = "api_key"
    #: the request headers (lower-case) a credential is read from
    credential_headers: ClassVar[tuple[str, ...]] = ("authorization",)
    #: the path the provider's API lives under (part of the base URL)
    base_path: ClassVar[str] = ""
    routes: ClassVar[tuple[Route, ...]] = ()
    #: the type of this emulator's own options (``Sandbox(options={provider: ...})``),
    #: or None when it takes none
    options_type: ClassVar[type | None] = None

    def __init__(
        self,
        *,
        options: object | None = None,
        credential: str | None = None,
        ids: Ids | None = None,
        retain_records: bool = True,
    ) -> None:
        if options is not None and (
            self.options_type is None or not isinstance(options, self.options_type)
        ):
            wanted = "no options" if self.options_type is None else self.options_type.__name__
            raise TypeError(
                f"the {self.display_name} emulator takes {wanted}, not {type(options).__name__}"
            )
        self.credential = credential or self.default_credential
        self.ids = ids or Ids(random.Random())
        self.retain_records = retain_records
        #: created records, oldest first (empty with ``retain_records=False``)
        self.records: list[dict[str, Any]] = []
        #: records created, retained or not
        self.created = 0
        self._keys: set[str] = set()
        self.lock = threading.Lock()

    # ----------------------------------------------------------------- routing

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | Reply:
        """The route for ``method path`` and its path parameters, or a 404/405 reply."""
        if path.startswith(self.base_path):
            rest = path[len(self.base_path) :]
            allowed = []
            for route in self.routes:
                found = route.pattern.fullmatch(rest)
                if found is None:
                    continue
                if route.method == method:
                    return route, {key: unquote(value) for key, value in found.groupdict().items()}
                allowed.append(route.method)
            if allowed:
                return self.error(405, f"{method} is not allowed here; use {', '.join(allowed)}.")
        paths = ", ".join(
            f"{route.method} {self.base_path}{route.template}" for route in self.routes
        )
        return self.error(404, f"No such endpoint in the {self.display_name} sandbox ({paths}).")

    def call(self, route: Route, params: Mapping[str, str], request: SandboxRequest) -> Reply:
        """Check the credential, then answer with the route's handler.

        A create the handler refused (`Rejected`, or no credential) says so on its reply's
        ``outcome``; a handler that creates says what it created.
        """
        if not self.authenticated(request):
            reply = self.error(401, self.unauthorized_message)
        else:
            handler: Callable[[SandboxRequest, Mapping[str, str]], Reply]
            handler = getattr(self, route.handler)
            try:
                with self.lock:
                    return handler(request, params)
            except Rejected as rejected:
                reply = self.error(rejected.status, rejected.message, rejected.fields)
                if route.creates:
                    reply.outcome = Outcome("refused", _refusal(rejected))
                return reply
        if route.creates:
            reply.outcome = Outcome("refused", self.unauthorized_message)
        return reply

    # ----------------------------------------------------------------- auth

    unauthorized_message: ClassVar[str] = "Unauthorized: the credential is missing or wrong."

    def authenticated(self, request: SandboxRequest) -> bool:
        raise NotImplementedError

    def bearer(self, request: SandboxRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.credential}"

    # ----------------------------------------------------------------- errors

    def error(self, status: int, message: str, fields: Sequence[tuple[str, str]] = ()) -> Reply:
        return Reply.json(status, self.error_body(status, message, fields))

    def error_body(self, status: int, message: str, fields: Sequence[tuple[str, str]]) -> Any:
        """The provider's error body (default: a message and ``errors{field: [...]}``)."""
        body: dict[str, Any] = {"message": message}
        if fields:
            errors: dict[str, list[str]] = {}
            for field, problem in fields:
                errors.setdefault(field, []).append(problem)
            body["errors"] = errors
        return body

    @staticmethod
    def reason(status: int) -> str:
        return _REASONS.get(status, "")

    # ----------------------------------------------------------------- records

    def exists(self, key: str) -> bool:
        """Whether a retained record has this unique key (e.g. a lower-cased email)."""
        return key in self._keys

    def keep(self, record: dict[str, Any], key: str | None = None) -> None:
        """Count ``record`` and keep it (and its unique key) unless records are not retained."""
        self.created += 1
        if self.retain_records:
            self.records.append(record)
            if key is not None:
                self._keys.add(key)

    def clear(self, *, counts: bool = False) -> None:
        """Forget every record (and its unique key); the count of records created stays
        unless ``counts``."""
        with self.lock:
            self.records.clear()
            self._keys.clear()
            if counts:
                self.created = 0

    def connect_settings(self, base_url: str) -> dict[str, str]:
        """The adapter settings that reach this emulator at ``base_url``."""
        return {"base_url": base_url + self.base_path, self.credential_setting: self.credential}


def _refusal(rejected: Rejected) -> str:
    """Why a create was refused, in one line: the message and the fields' problems."""
    problems = "; ".join(f"{field}: {problem}" for field, problem in rejected.fields)
    if not problems or problems in rejected.message:
        return rejected.message
    return f"{rejected.message} ({problems})"


_REASONS = {status.value: status.phrase for status in HTTPStatus}
