"""What the loopback server answers: the emulators under their paths, the inspector at ``/``.

One emulator is served from the server's root, as its provider serves it. Several are
each served under ``/<provider>``, a prefix that is part of that emulator's base URL.
Every request an emulator answers is written to the event log the inspector shows
(the in-process transport has no page and logs nothing).

Only this machine's pages reach it: every request, to the page or to an emulator, must
name a loopback host (no DNS rebinding), and a request that changes something must not
come from another site's page (no cross-site form or script).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import attrs

from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.sandbox.inspector.events import EventLog
from clientbridge.sandbox.inspector.masking import Masker
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    from clientbridge.sandbox._sandbox import Sandbox

__all__ = ["INSPECTOR_PATH", "Mount", "Page", "Site", "refusal"]

#: The inspector's own requests live under this path (its page is at ``/``).
INSPECTOR_PATH = "/_sandbox/inspector"
#: Requests to these paths are the sandbox's own (records, stats), not the provider's API.
_SANDBOX_PATHS = "/_sandbox/"
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Page(Protocol):
    """What answers the inspector's requests (the page, its views and its API)."""

    def answer(self, request: SandboxRequest) -> Reply: ...


def refusal(request: SandboxRequest) -> Reply | None:
    """The 403 for a request this machine's pages did not send, else None.

    The ``Host`` must be a loopback name: a site whose name a DNS server points at
    127.0.0.1 (DNS rebinding) sends its own name. A request that changes something must
    not come from another origin (``Origin`` or ``Sec-Fetch-Site: cross-site``): another
    site's form or script cannot create records, switch faults on or clear everything.
    """
    host = request.header("host") or ""
    name = host if host.endswith("]") or ":" not in host else host.rsplit(":", 1)[0]
    if name.lower() not in _LOOPBACK_NAMES:
        return _forbidden(request, "Open it on 127.0.0.1: this server answers its own host only.")
    if request.method not in _SAFE_METHODS:
        origin = request.header("origin")
        if request.header("sec-fetch-site") == "cross-site" or (
            origin is not None and origin != f"http://{host}"
        ):
            return _forbidden(request, "Refused: a request from another site's page.")
    return None


def _forbidden(request: SandboxRequest, message: str) -> Reply:
    if "text/html" in (request.header("accept") or ""):
        page = f"<!doctype html><html lang=en><title>Forbidden</title><p>{message}</p></html>"
        return Reply(403, page.encode(), (("Content-Type", "text/html; charset=utf-8"),))
    return Reply.json(403, {"message": message})


@attrs.frozen
class Mount:
    """One emulator and the path it is served under (``""``: the server's root)."""

    provider: str
    prefix: str


class Site:
    """Routes each request to its emulator or to the inspector, and logs the answers."""

    def __init__(
        self,
        sandbox: Sandbox,
        providers: Sequence[str],
        *,
        prefixed: bool,
        page: Callable[[Site], Page] | None = None,
    ) -> None:
        self.sandbox = sandbox
        names = [sandbox.emulator(provider).provider for provider in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"each provider is served once, not {', '.join(names)}")
        if len(names) > 1 and not prefixed:
            raise ValueError("several emulators need a path each")
        self.mounts = tuple(Mount(name, f"/{name}" if prefixed else "") for name in names)
        self.events = EventLog()
        #: ``http://host:port``, set by the server once it listens
        self.root = ""
        #: whether the credentials were chosen by the caller (the page says so)
        self.credentials_chosen = False
        # Every emulator's credential (served here or not) is masked in every event: one
        # sent to the wrong back-office is still a credential.
        self.masker = Masker(
            [
                Secret(sandbox.credentials.get(name) or EMULATORS[name].default_credential)
                for name in EMULATORS
            ],
            {header for emulator in EMULATORS.values() for header in emulator.credential_headers},
        )
        self._make_page = page
        self._page: Page | None = None

    def base_url(self, mount: Mount) -> str:
        """What to pass as the adapter's ``base_url`` for ``mount``."""
        return self.root + mount.prefix + self.sandbox.emulator(mount.provider).base_path

    def connect_settings(self, mount: Mount) -> dict[str, str]:
        """The adapter settings that reach ``mount``'s emulator."""
        return self.sandbox.emulator(mount.provider).connect_settings(self.root + mount.prefix)

    def handle(self, request: SandboxRequest) -> Reply:
        """Answer one request: the inspector's, or an emulator's (logged)."""
        refused = refusal(request)
        if refused is not None:
            return refused
        if request.path == "/" or request.path.startswith(INSPECTOR_PATH + "/"):
            return self.page.answer(request)
        mount = self._mount_for(request)
        if mount is None:
            paths = ", ".join(f"{mount.prefix}/" for mount in self.mounts)
            return Reply.json(404, {"message": f"No emulator here; they are under {paths}"})
        return self._answer_as(mount, request)

    def _mount_for(self, request: SandboxRequest) -> Mount | None:
        """The mount that serves ``request``, its prefix taken off the request's path."""
        for mount in self.mounts:
            if not mount.prefix:
                return mount
            if request.path == mount.prefix or request.path.startswith(mount.prefix + "/"):
                request.path = request.path[len(mount.prefix) :]
                return mount
        return None

    def _answer_as(self, mount: Mount, request: SandboxRequest) -> Reply:
        reply = self.sandbox.handle(mount.provider, request)
        if _SANDBOX_PATHS in request.path:
            reply.body = self.masker.text(reply.body.decode()).encode()
            return reply
        matched = self.sandbox.emulator(mount.provider).match(request.method, request.path)
        if isinstance(matched, Reply):
            kind = "other"
        else:
            kind = "create" if matched[0].creates else "look-up"
        target = request.path + (f"?{request.query}" if request.query else "")
        self.events.record(
            provider=mount.provider,
            kind=kind,
            method=request.method,
            target=target,
            header_names=request.header_names,
            headers=request.headers,
            # Read even when the connection is then dropped: the log says who it was for.
            request_body=request.body,
            status=0 if reply.disconnect else reply.status,
            answer_headers=() if reply.disconnect else reply.headers,
            answer_body=reply.body,
            outcome=reply.outcome,
            fault=reply.fault,
            delay=reply.delay,
            masker=self.masker,
        )
        return reply

    @property
    def page(self) -> Page:
        """The inspector, made when first asked for (the server's code imports it lazily)."""
        if self._page is None:
            if self._make_page is None:
                raise LookupError("this site serves no inspector page")
            self._page = self._make_page(self)
        return self._page

    def clear(self) -> None:
        """Forget every record, every logged request and every count."""
        self.sandbox.reset()
        self.events.clear()
