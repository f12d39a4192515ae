"""The sandbox inspector: a page at the sandbox server's root showing every request.

It shows, live, every create and look-up the emulators answered (credentials masked),
the same client grouped across back-offices, the records each emulator holds, and the
fault and latency settings to change while serving. Its templates (Jinja2, imported only
when the page is first asked for), script and style ship with the package: the page
needs no network beyond the sandbox server.
"""

from __future__ import annotations

from clientbridge.sandbox.inspector.event import Event
from clientbridge.sandbox.inspector.events import EventLog

__all__ = ["Event", "EventLog"]
