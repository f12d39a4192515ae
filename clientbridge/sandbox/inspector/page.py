"""The inspector's page and its few requests, rendered with Jinja2 from package data.

``GET /`` is the whole page; the page's script asks ``GET /_sandbox/inspector/state``
twice a second for the sections that changed (server-rendered HTML, so there is one
template per view and no second renderer in JavaScript). Settings and clear-all are plain
form posts, so the page also works with scripts off (reloading to see news).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import attrs
import jinja2
from markupsafe import escape

from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.sandbox.faults import FAULT_ALIASES, FAULT_KINDS
from clientbridge.sandbox.inspector.events import Event
from clientbridge.secrets import REDACTED

if TYPE_CHECKING:
    from clientbridge.sandbox._site import Site

__all__ = ["InspectorPage"]

_PREFIX = "/_sandbox/inspector"
#: The requests view shows the newest of the log's events.
SHOWN_EVENTS = 100
#: The records view shows the newest matching records of each provider.
SHOWN_RECORDS = 50
SECTIONS = ("counters", "clients", "requests", "records")
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
#: The short name of each fault kind, as the command line also accepts it.
_SHORT_NAMES = {kind: alias for alias, kind in FAULT_ALIASES.items()}


_Action = Callable[[Mapping[str, Sequence[str]]], str]


@attrs.frozen
class Cell:
    """What one provider answered for one client: its latest create (else look-up)."""

    event: Event
    requests: int


@attrs.frozen
class ClientRow:
    key: str
    cells: Mapping[str, Cell]
    last: int  # the newest event's number, for the order


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

    # ----------------------------------------------------------------- routing

    def answer(self, request: SandboxRequest) -> Reply:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        route = request.method, request.path
        query = request.query_params()
        if route == ("GET", "/"):
            return _html(200, self._render("page.html", query.get("q", "")))
        if route == ("GET", f"{_PREFIX}/state"):
            return self._state(query)
        if request.method == "GET" and request.path.startswith(f"{_PREFIX}/static/"):
            return _static(request.path.removeprefix(f"{_PREFIX}/static/"))
        if route == ("POST", f"{_PREFIX}/settings"):
            return self._post(request, self._apply_settings)
        if route == ("POST", f"{_PREFIX}/clear"):
            return self._post(request, self._clear)
        return _html(404, "<!doctype html><title>Not found</title><p>No such page.</p>")

    def _refusal(self, request: SandboxRequest) -> Reply | None:
        """A page on 127.0.0.1 must not answer another site's scripts or forms: the Host
        must be a loopback name (no DNS rebinding) and a post must come from this page."""
        host = request.header("host") or ""
        name = host if host.endswith("]") or ":" not in host else host.rsplit(":", 1)[0]
        if name not in _LOOPBACK_NAMES:
            return _html(403, "<!doctype html><title>Forbidden</title><p>Open it on 127.0.0.1.</p>")
        if request.method == "POST":
            origin = request.header("origin")
            if request.header("sec-fetch-site") == "cross-site" or (
                origin is not None and origin != f"http://{host}"
            ):
                return _html(403, "<!doctype html><title>Forbidden</title><p>Cross-site post.</p>")
        return None

    # ----------------------------------------------------------------- views

    def _context(self, query: str) -> dict[str, Any]:
        site = self.site
        events = site.events.events()
        providers = [mount.provider for mount in site.mounts]
        faults = site.sandbox.faults
        return {
            "version": site.events.version,
            "prefix": _PREFIX,
            "query": query,
            "endpoints": [
                {
                    "provider": mount.provider,
                    "name": site.sandbox.emulator(mount.provider).display_name,
                    "base_url": site.base_url(mount),
                    "credential_setting": site.sandbox.emulator(mount.provider).credential_setting,
                }
                for mount in site.mounts
            ],
            "masked": REDACTED,
            "credentials_chosen": site.credentials_chosen,
            "names": {name: site.sandbox.emulator(name).display_name for name in providers},
            "totals": {name: site.events.totals(name) for name in providers},
            "injected": dict(site.sandbox.injected),
            "rows": _client_rows(events),
            "events": events[-SHOWN_EVENTS:][::-1],
            "event_count": len(events),
            "records": {name: _records(site.sandbox.records(name), query) for name in providers},
            "fault_kinds": [(kind, _SHORT_NAMES.get(kind, kind)) for kind in FAULT_KINDS],
            "settings": {
                "fail_rate": faults.fail_rate,
                "kinds": set(faults.kinds),
                "faults_on_lookups": faults.include_lookups,
                "latency_ms": site.sandbox.latency_ms,
            },
        }

    def _render(self, template: str, query: str) -> str:
        return self._templates.get_template(template).render(self._context(query))

    def _state(self, query: Mapping[str, str]) -> Reply:
        """The sections, when they changed since the page's ``version`` (else 204)."""
        version = self.site.events.version
        if query.get("version") == str(version):
            return Reply(204, headers=(("Cache-Control", "no-store"),))
        context = self._context(query.get("q", ""))
        sections = {
            name: self._templates.get_template(f"_{name}.html").render(context) for name in SECTIONS
        }
        state = {"version": context["version"], "sections": sections}
        return Reply.json(200, state, (("Cache-Control", "no-store"),))

    # ----------------------------------------------------------------- actions

    def _post(self, request: SandboxRequest, action: _Action) -> Reply:
        form = parse_qs(request.body.decode("utf-8", "replace"))
        try:
            message = action(form)
            status = 200
        except ValueError as error:
            message, status = str(error), 400
        if "application/json" in (request.header("accept") or ""):
            return Reply.json(status, {"message": message})
        if status != 200:
            page = f"<!doctype html><title>Not applied</title><p>{escape(message)}</p>"
            return _html(status, page + "<p><a href='/'>Back to the inspector</a></p>")
        return Reply(303, headers=(("Location", "/"), ("Content-Type", "text/plain")))

    def _apply_settings(self, form: Mapping[str, Sequence[str]]) -> str:
        fail_rate = _number(form, "fail_rate", "fault rate")
        latency_ms = _number(form, "latency_ms", "latency")
        kinds = list(form.get("fault_kind", ()))
        self.site.sandbox.configure(
            fail_rate=fail_rate,
            fault_kinds=kinds or None,
            faults_on_lookups="faults_on_lookups" in form,
            latency_ms=latency_ms,
        )
        self.site.events.touch()
        if not fail_rate:
            faults = "faults off"
        else:
            drawn = ", ".join(self.site.sandbox.faults.kinds)
            faults = f"faults on ({fail_rate:g} of creates: {drawn})"
        return f"Applied: {faults}, latency {latency_ms:g} ms."

    def _clear(self, form: Mapping[str, Sequence[str]]) -> str:
        self.site.clear()
        return "Cleared every record and request."


def _number(form: Mapping[str, Sequence[str]], name: str, label: str) -> float:
    text = (form.get(name) or ["0"])[0].strip() or "0"
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the {label} must be a number, not {text!r}") from None


def _client_rows(events: Sequence[Event]) -> list[ClientRow]:
    """One row per client key, newest first; per provider its latest create (or look-up)."""
    cells: dict[str, dict[str, Cell]] = {}
    last: dict[str, int] = {}
    for event in events:
        for key in event.client_keys:
            row = cells.setdefault(key, {})
            previous = row.get(event.provider)
            count = 1 if previous is None else previous.requests + 1
            shown = event
            if previous is not None and previous.event.kind == "create" and event.kind != "create":
                shown = previous.event  # a later look-up does not hide the create
            row[event.provider] = Cell(shown, count)
            last[key] = event.number
    return sorted(
        (ClientRow(key, row, last[key]) for key, row in cells.items()),
        key=lambda row: row.last,
        reverse=True,
    )


def _records(records: list[dict[str, Any]], query: str) -> dict[str, Any]:
    texts = [json.dumps(record, indent=2, ensure_ascii=False) for record in reversed(records)]
    needle = query.strip().casefold()
    matching = [text for text in texts if needle in text.casefold()] if needle else texts
    return {"total": len(texts), "matching": len(matching), "shown": matching[:SHOWN_RECORDS]}


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


def _html(status: int, text: str) -> Reply:
    return Reply(
        status,
        text.encode(),
        (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")),
    )


def _static(name: str) -> Reply:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or suffix not in _STATIC_TYPES:
        return _html(404, "<!doctype html><title>Not found</title><p>No such file.</p>")
    try:
        data = resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
    except OSError:
        return _html(404, "<!doctype html><title>Not found</title><p>No such file.</p>")
    return Reply(200, data, (("Content-Type", _STATIC_TYPES[suffix]),))
