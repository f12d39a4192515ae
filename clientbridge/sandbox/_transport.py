"""The in-process seam: a `Sandbox` behind an `httpx.MockTransport` (sync or async).

vcrpy records and replays `httpx.MockTransport`, so cassettes can be recorded against
the sandbox exactly as against a server.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from clientbridge.sandbox.emulators.base import Reply, SandboxRequest

if TYPE_CHECKING:
    from clientbridge.sandbox._sandbox import Sandbox

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


def mock_transport(sandbox: Sandbox, provider: str, *, asynchronous: bool) -> httpx.MockTransport:
    """A transport whose every request is answered by ``sandbox`` as ``provider``."""
    if asynchronous:

        async def answer_async(request: httpx.Request) -> httpx.Response:
            reply = sandbox.handle(provider, _sandbox_request(request))
            if reply.delay:
                import anyio

                await anyio.sleep(reply.delay)
            return _response(reply, request)

        return httpx.MockTransport(answer_async)

    def answer(request: httpx.Request) -> httpx.Response:
        reply = sandbox.handle(provider, _sandbox_request(request))
        if reply.delay:
            time.sleep(reply.delay)
        return _response(reply, request)

    return httpx.MockTransport(answer)
