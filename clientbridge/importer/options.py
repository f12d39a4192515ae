"""What an import is told: where it goes (`Target`) and how to run it (`ImportOptions`)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from clientbridge.importer.advice import LIBRARY_ADVICE, Advice

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.importer.progress import ProgressMode
    from clientbridge.importer.source import SourceRow
    from clientbridge.model import Client
    from clientbridge.wire import HttpRequest

__all__ = ["STOP_GRACE", "STOP_SIGNALS", "ImportOptions", "Target", "journal_fingerprint"]


@attrs.frozen(kw_only=True)
class Target:
    """Where an import goes: how to connect, and how to name it to people and journals."""

    provider: str
    #: for people: ``"PROVIDER (sandbox)"``, ``"connection 'uk' (PROVIDER)"``
    label: str
    #: for the journal: provider, connection and base URL (a changed target is noticed)
    fingerprint: str
    connect: Callable[..., Connection]
    connect_async: Callable[..., AsyncConnection]
    #: what is created does not outlive the command (the in-process sandbox): no resume
    ephemeral: bool = False
    #: the clients that go to this target (routes); None: every client
    accepts: Callable[[Client], bool] | None = None


#: The signals that stop an import cleanly: Ctrl-C, SIGTERM, and SIGHUP (the terminal
#: closed, an SSH session dropped) where there is one.
STOP_SIGNALS: tuple[signal.Signals, ...] = (
    signal.SIGINT,
    signal.SIGTERM,
    *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []),
)

#: Seconds a stop (Ctrl-C, SIGTERM) waits for the requests in flight before abandoning them.
STOP_GRACE = 5.0


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How to run an import."""

    #: requests in flight at most
    concurrency: int = 8
    #: send again the unchanged rows an earlier run failed
    retry_failed: bool = False
    #: send again the unchanged rows an earlier run left unknown (they may exist already)
    retry_unknown: bool = False
    #: with ``retry_unknown``: also send the unknown rows nothing can check first (the
    #: provider can neither be asked nor refuses a second client): each an earlier run
    #: did create is created twice. Without it such an import is refused, nothing sent.
    resend_unchecked: bool = False
    #: with ``retry_unknown``, and ``resend_unchecked`` False: asked, before anything is
    #: sent, with why those rows would be sent without a check and their lines; True
    #: sends them, False refuses the import (the command line asks on a terminal)
    confirm_unchecked: Callable[[str, Sequence[int]], bool] | None = None
    #: seconds after which a request an earlier run marked sent has surely reached the
    #: provider, or never will: its row, if a look-up then does not find it, was not
    #: created and is sent. None: the connection's timeout plus a margin
    settle_after: float | None = None
    progress: ProgressMode = "auto"
    #: seconds between two plain progress lines
    progress_interval: float = 5.0
    #: a dry run: called with each valid row and the requests it would send
    on_preview: Callable[[SourceRow, list[HttpRequest]], None] | None = None
    #: how messages word what to do next (the command line names its flags)
    advice: Advice = LIBRARY_ADVICE
    #: seconds a stop waits for the requests in flight before abandoning them (unknown)
    stop_grace: float = STOP_GRACE


def journal_fingerprint(
    adapter: type[Adapter],
    values: Mapping[str, object],
    connection: str | None = None,
    *,
    sandbox: bool = False,
) -> str:
    """The provider and what names an account (base URL, workspace...), for the journal."""
    where = [
        f"{setting.name}={values[setting.name]}"
        for setting in adapter.settings_spec
        if (setting.url or setting.path_segment) and not setting.secret and setting.name in values
    ]
    if sandbox:  # an emulator may share a provider's real base URL
        where.append("sandbox")
    named = f" (connection {connection!r})" if connection else ""
    return " ".join([adapter.name, *where]) + named
