"""The in-process seam: a `Sandbox` behind an `httpx.MockTransport` (sync or async).

vcrpy records and replays `httpx.MockTransport`, so cassettes can be recorded against
the sandbox exactly as against a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from clientbridge.sandbox.emulators.base import Reply, SandboxRequest

__all__ = ["mock_transport"]


def _sandbox_request(request: httpx.Request) -> SandboxRequest:
    return SandboxRequest(
        request.method,
        request.url.raw_path.decode("ascii"),
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
        request.content,
    )


def _response(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.disconnect:
        raise httpx.ConnectError(
            "connection dropped by the sandbox (injected fault)", request=request
        )
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


def mock_transport(
    answer_with: Callable[[SandboxRequest], Reply], *, asynchronous: bool
) -> httpx.MockTransport:
    """A transport whose every request is answered by ``answer_with`` (a sandbox's
    dispatch to one emulator)."""
    if asynchronous:

        async def answer_async(request: httpx.Request) -> httpx.Response:
            reply = answer_with(_sandbox_request(request))
            if reply.delay:
                import anyio

                await anyio.sleep(reply.delay)
            return _response(reply, request)

        return httpx.MockTransport(answer_async)

    def answer(request: httpx.Request) -> httpx.Response:
        reply = answer_with(_sandbox_request(request))
        if reply.delay:
            time.sleep(reply.delay)
        return _response(reply, request)

    return httpx.MockTransport(answer)
