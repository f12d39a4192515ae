"""What the loopback server answers: the emulators under their paths, the inspector at ``/``.

One emulator is served from the server's root, as its provider serves it. Several are
each served under ``/<provider>``, a prefix that is part of that emulator's base URL.
Every request an emulator answers is written to the event log the inspector shows
(the in-process transport has no page and logs nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.sandbox.inspector.events import EventLog
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    from clientbridge.sandbox._sandbox import Sandbox
    from clientbridge.sandbox.inspector.page import InspectorPage

__all__ = ["INSPECTOR_PATH", "Mount", "Site"]

#: The inspector's own requests live under this path (its page is at ``/``).
INSPECTOR_PATH = "/_sandbox/inspector"
#: Requests to these paths are the sandbox's own (records, stats), not the provider's API.
_SANDBOX_PATHS = "/_sandbox/"


@attrs.frozen
class Mount:
    """One emulator and the path it is served under (``""``: the server's root)."""

    provider: str
    prefix: str


class Site:
    """Routes each request to its emulator or to the inspector, and logs the answers."""

    def __init__(self, sandbox: Sandbox, providers: Sequence[str], *, prefixed: bool) -> None:
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
        self._secrets: Mapping[str, tuple[Secret, ...]] = {
            name: (Secret(sandbox.credential(name)),) for name in names
        }
        self._page: InspectorPage | None = None

    def base_url(self, mount: Mount) -> str:
        """What to pass as the adapter's ``base_url`` for ``mount``."""
        return self.root + mount.prefix + self.sandbox.emulator(mount.provider).base_path

    def connect_settings(self, mount: Mount) -> dict[str, str]:
        """The adapter settings that reach ``mount``'s emulator."""
        return self.sandbox.emulator(mount.provider).connect_settings(self.root + mount.prefix)

    def handle(self, request: SandboxRequest) -> Reply:
        """Answer one request: the inspector's, or an emulator's (logged)."""
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
            request_body=None if reply.disconnect else request.body,
            status=0 if reply.disconnect else reply.status,
            answer_body=reply.body,
            fault=reply.fault,
            delay=reply.delay,
            secrets=self._secrets[mount.provider],
        )
        return reply

    @property
    def page(self) -> InspectorPage:
        # Jinja2 is imported when the page is first asked for, not with the server.
        if self._page is None:
            from clientbridge.sandbox.inspector.page import InspectorPage

            self._page = InspectorPage(self)
        return self._page

    def clear(self) -> None:
        """Forget every record and every logged request."""
        self.sandbox.clear()
        self.events.clear()
