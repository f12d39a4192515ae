"""The inspector's page, its views, its push stream and its JSON API, rendered with Jinja2
from package data.

``GET /`` is the page: the clients and requests views are windows (a page of rows each,
chosen by the query string), so the page weighs the same at ten requests and at ten
thousand. ``GET /_sandbox/inspector/stream`` is a server-sent event stream that says when
something changed; the page's script then asks ``GET /_sandbox/inspector/state`` for its
windows again (server-rendered HTML, one template per view, no second renderer in
JavaScript). Every link also works without scripts (reload to see news); settings and
clear-all are plain form posts. ``GET /_sandbox/inspector/api/requests`` lists the
requests as JSON, for tests.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import jinja2
from markupsafe import escape

from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.sandbox.faults import FAULT_ALIASES, FAULT_KINDS
from clientbridge.sandbox.inspector.event import OUTCOME_CHOICES, Event, RequestFilter
from clientbridge.secrets import REDACTED

if TYPE_CHECKING:
    from clientbridge.sandbox._site import Site

__all__ = ["API_LIMIT", "PAGE_SIZE", "InspectorPage"]

_PREFIX = "/_sandbox/inspector"
#: Rows in one page of the clients view and of the requests view.
PAGE_SIZE = 50
#: The JSON API lists at most this many requests at once (``limit``).
API_LIMIT = 1000
#: The records view shows the newest matching records of each provider.
SHOWN_RECORDS = 10
#: A push stream says "changed" at most this often (seconds), however busy the server.
PUSH_INTERVAL = 0.2
#: A push stream sends a comment this often when nothing changes (proxies keep it open).
KEEP_ALIVE = 15.0
SECTIONS = ("counters", "clients", "requests", "records", "settings")
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_NO_STORE = (("Cache-Control", "no-store"),)
#: The short name of each fault kind, as the command line also accepts it.
_SHORT_NAMES = {kind: alias for alias, kind in FAULT_ALIASES.items()}
_STATUS_CHOICES = ("2xx", "4xx", "429", "5xx", "dropped")


_Action = Callable[[Mapping[str, Sequence[str]]], str]


class _Refused(ValueError):
    """A form that asks for something the page will not do (answered 400)."""


class InspectorPage:
    """Answers the inspector's requests for a `Site`."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("clientbridge.sandbox.inspector", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.filters["clock"] = _clock
        self._templates.filters["reason"] = _reason
        self._templates.filters["pretty"] = _pretty
        self._templates.filters["label"] = _outcome_label
        self._templates.globals["link"] = _link

    # ----------------------------------------------------------------- routing

    def answer(self, request: SandboxRequest) -> Reply:
        route = request.method, request.path
        query = request.query_params()
        if route == ("GET", "/"):
            return _html(200, self._render("page.html", self._context(query)))
        if route == ("GET", f"{_PREFIX}/state"):
            return self._state(query)
        if route == ("GET", f"{_PREFIX}/stream"):
            return Reply(
                200,
                headers=(("Content-Type", "text/event-stream"), *_NO_STORE),
                stream=self._stream(),
            )
        if route == ("GET", f"{_PREFIX}/api/requests"):
            return self._api_requests(query)
        number = _number_after(request.path, f"{_PREFIX}/api/requests/")
        if request.method == "GET" and number is not None:
            event = self.site.events.get(number)
            if event is None:
                return Reply.json(404, {"message": f"No request {number} is kept."}, _NO_STORE)
            return Reply.json(200, event.as_json(), _NO_STORE)
        number = _number_after(request.path, f"{_PREFIX}/request/")
        if request.method == "GET" and number is not None:
            return self._detail(number)
        if request.method == "GET" and request.path.startswith(f"{_PREFIX}/static/"):
            return _static(request.path.removeprefix(f"{_PREFIX}/static/"))
        if route == ("POST", f"{_PREFIX}/settings"):
            return self._post(request, self._apply_settings)
        if route == ("POST", f"{_PREFIX}/clear"):
            return self._post(request, self._clear)
        return _html(404, "<!doctype html><title>Not found</title><p>No such page.</p>")

    # ----------------------------------------------------------------- views

    def _context(self, query: Mapping[str, str]) -> dict[str, Any]:
        site = self.site
        sandbox = site.sandbox
        providers = [mount.provider for mount in site.mounts]
        chosen = RequestFilter.from_query(query)
        detail = _positive(query.get("event"))
        return {
            "version": site.events.version,
            "prefix": _PREFIX,
            "query": dict(query),
            "filter": chosen,
            "records_query": query.get("rq", ""),
            "endpoints": [
                {
                    "provider": mount.provider,
                    "name": sandbox.emulator(mount.provider).display_name,
                    "base_url": site.base_url(mount),
                    "credential_setting": sandbox.emulator(mount.provider).credential_setting,
                }
                for mount in site.mounts
            ],
            "masked": REDACTED,
            "credentials_chosen": site.credentials_chosen,
            "names": {name: sandbox.emulator(name).display_name for name in providers},
            "totals": {name: site.events.totals(name) for name in providers},
            "injected": dict(sandbox.injected),
            "stats": sandbox.stats(),
            "clients": site.events.clients(
                text=chosen.text, page=_positive(query.get("cpage")) or 1, size=PAGE_SIZE
            ),
            "requests": site.events.requests(
                chosen, page=_positive(query.get("page")) or 1, size=PAGE_SIZE
            ),
            "kept": len(site.events),
            "capacity": site.events.capacity,
            "latest": site.events.version,
            "detail": None if detail is None else self._detail_context(detail),
            "records": {name: _records(site, name, query.get("rq", "")) for name in providers},
            "fault_kinds": [(kind, _SHORT_NAMES.get(kind, kind)) for kind in FAULT_KINDS],
            "status_choices": [(status, status) for status in _STATUS_CHOICES],
            "outcome_choices": [(outcome, _outcome_label(outcome)) for outcome in OUTCOME_CHOICES],
            "settings": {"": sandbox.settings()}
            | {name: sandbox.settings(name) for name in providers},
        }

    def _render(self, template: str, context: Mapping[str, Any]) -> str:
        return self._templates.get_template(template).render(context)

    def _state(self, query: Mapping[str, str]) -> Reply:
        """The sections, when they changed since the page's ``version`` (else 204)."""
        version = self.site.events.version
        if query.get("version") == str(version):
            return Reply(204, headers=_NO_STORE)
        context = self._context(query)
        sections = {name: self._render(f"_{name}.html", context) for name in SECTIONS}
        state = {"version": context["version"], "kept": context["kept"], "sections": sections}
        return Reply.json(200, state, _NO_STORE)

    def _stream(self) -> Iterator[bytes]:
        """Server-sent events: ``change`` with the new version whenever the views may
        show something new (at most every `PUSH_INTERVAL`), until the server stops."""
        import time

        events = self.site.events
        version = events.version
        yield f"retry: 1000\nevent: change\ndata: {version}\n\n".encode()
        while not events.closed:
            changed = events.wait_for_change(version, KEEP_ALIVE)
            if events.closed:
                return
            if changed == version:
                yield b": still here\n\n"
                continue
            version = changed
            yield f"event: change\ndata: {version}\n\n".encode()
            time.sleep(PUSH_INTERVAL)

    def _detail_context(self, number: int) -> dict[str, Any]:
        event = self.site.events.get(number)
        return {
            "number": number,
            "event": event,
            "curl": None if event is None else self._curl(event),
        }

    def _detail(self, number: int) -> Reply:
        context: dict[str, Any] = {
            "detail": self._detail_context(number),
            "names": {
                mount.provider: self.site.sandbox.emulator(mount.provider).display_name
                for mount in self.site.mounts
            },
            "prefix": _PREFIX,
        }
        status = 200 if context["detail"]["event"] is not None else 404
        return _html(status, self._render("_detail.html", context))

    def _curl(self, event: Event) -> str:
        """The request as a ``curl`` command line, credentials masked as in the event."""
        mount = next(mount for mount in self.site.mounts if mount.provider == event.provider)
        url = self.site.root + mount.prefix + event.target
        words = ["curl", "-X", event.method, url]
        for name, value in event.request_headers:
            if name.lower() not in ("host", "content-length", "connection", "accept-encoding"):
                words += ["-H", f"{name}: {value}"]
        if event.request_body:
            words += ["--data-raw", event.request_body]
        return " ".join(shlex.quote(word) for word in words)

    def _api_requests(self, query: Mapping[str, str]) -> Reply:
        """``{"total": N, "matching": M, "requests": [...]}``, newest first."""
        chosen = RequestFilter.from_query(query)
        try:
            limit = min(API_LIMIT, int(query.get("limit") or 100))
            offset = int(query.get("offset") or 0)
        except ValueError:
            return Reply.json(400, {"message": "limit and offset are whole numbers"}, _NO_STORE)
        if limit < 1 or offset < 0:
            return Reply.json(400, {"message": "limit >= 1 and offset >= 0"}, _NO_STORE)
        events = self.site.events
        window = events.requests(chosen, page=1, size=offset + limit)
        listing = {
            "total": len(events),
            "matching": window.total,
            "requests": [event.as_json() for event in window.items[offset:]],
        }
        return Reply.json(200, listing, _NO_STORE)

    # ----------------------------------------------------------------- actions

    def _post(self, request: SandboxRequest, action: _Action) -> Reply:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        try:
            message = action(form)
            status = 200
        except ValueError as error:
            message, status = str(error), 400
        if "application/json" in (request.header("accept") or ""):
            return Reply.json(status, {"message": message})
        if status != 200:
            page = "<!doctype html><html lang=en><title>Not applied</title>"
            page += f"<p>{escape(message)}</p>"
            if request.path.endswith("/clear"):
                page += (
                    f"<form method=post action='{_PREFIX}/clear'>"
                    "<input type=hidden name=confirm value=yes>"
                    "<button type=submit>Yes, clear everything</button></form>"
                )
            return _html(status, page + "<p><a href='/'>Back to the inspector</a></p></html>")
        return Reply(303, headers=(("Location", "/"), ("Content-Type", "text/plain")))

    def _apply_settings(self, form: Mapping[str, Sequence[str]]) -> str:
        scope = (form.get("scope") or [""])[0]
        names = {mount.provider: mount for mount in self.site.mounts}
        if scope and scope not in names:
            raise _Refused(f"no back-office {scope!r} is served here")
        fail_rate = _float(form, "fail_rate", "fault rate")
        latency_ms = _float(form, "latency_ms", "latency")
        limit_text = (form.get("rate_limit") or [""])[0].strip()
        kinds = list(form.get("fault_kind", ()))
        self.site.sandbox.configure(
            provider=scope or None,
            fail_rate=fail_rate,
            fault_kinds=kinds or None,
            faults_on_lookups="faults_on_lookups" in form,
            latency_ms=latency_ms,
            rate_limit=limit_text if limit_text not in ("", "off") else None,
        )
        self.site.events.touch()
        settings = self.site.sandbox.settings(scope or None)
        where = self.site.sandbox.emulator(scope).display_name if scope else "every back-office"
        if not fail_rate:
            faults = "faults off"
        else:
            faults = f"faults on ({fail_rate:g} of creates: {', '.join(settings['fault_kinds'])})"
        limit = settings["rate_limit"] or "no rate limit"
        return f"Applied to {where}: {faults}, latency {latency_ms:g} ms, {limit}."

    def _clear(self, form: Mapping[str, Sequence[str]]) -> str:
        if (form.get("confirm") or [""])[0] != "yes":
            raise _Refused("Clear every record, request and count? Confirm to clear.")
        self.site.clear()
        return "Cleared every record, request and count."


def _float(form: Mapping[str, Sequence[str]], name: str, label: str) -> float:
    text = (form.get(name) or ["0"])[0].strip() or "0"
    try:
        return float(text)
    except ValueError:
        raise _Refused(f"the {label} must be a number, not {text!r}") from None


def _positive(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and int(text) > 0 else None


def _number_after(path: str, prefix: str) -> int | None:
    return _positive(path.removeprefix(prefix)) if path.startswith(prefix) else None


def _link(query: Mapping[str, str], **changes: object) -> str:
    """The page's address with ``changes`` made to its query (None or "" removes a key)."""
    merged = {**query, **{key: str(value) for key, value in changes.items() if value}}
    for key, value in changes.items():
        if not value:
            merged.pop(key, None)
    merged.pop("version", None)
    return "/?" + urlencode(merged) if merged else "/"


def _records(site: Site, provider: str, query: str) -> dict[str, Any]:
    """The newest records of ``provider`` (those containing ``query`` when given: the
    filter reads them all), as JSON, credentials masked."""
    needle = query.strip().casefold()
    total = site.sandbox.held(provider)
    records = site.sandbox.records(provider, newest=None if needle else SHOWN_RECORDS)
    texts = (
        site.masker.text(json.dumps(record, indent=2, ensure_ascii=False))
        for record in reversed(records)
    )
    matching = [text for text in texts if needle in text.casefold()] if needle else list(texts)
    return {"total": total, "matching": len(matching), "shown": matching[:SHOWN_RECORDS]}


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _pretty(body: str) -> str:
    """A JSON body indented to read (a cut or non-JSON body as it is)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _reason(status: int) -> str:
    if status == 0:
        return "connection dropped"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _outcome_label(kind: str) -> str:
    return {
        "created": "Created",
        "partial": "Partly created",
        "refused": "Refused",
        "not_processed": "Not processed",
        "none": "Not a create",
    }.get(kind, kind)


def _html(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), (("Content-Type", "text/html; charset=utf-8"), *_NO_STORE))


def _static(name: str) -> Reply:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or suffix not in _STATIC_TYPES:
        return _html(404, "<!doctype html><title>Not found</title><p>No such file.</p>")
    try:
        data = resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
    except OSError:
        return _html(404, "<!doctype html><title>Not found</title><p>No such file.</p>")
    return Reply(200, data, (("Content-Type", _STATIC_TYPES[suffix]),))
