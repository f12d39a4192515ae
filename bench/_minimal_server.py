"""A minimal HTTP/1.1 keep-alive server answering RoostedHR-shaped creates after a delay.

The anchor server of the speed benchmarks: an asyncio protocol that costs little CPU, so
that on 2 cores the client's own cost is what is measured. ``POST`` answers 201 with the
request's JSON and an id, after ``--latency-ms``; ``GET`` answers an empty client list.

    python bench/_minimal_server.py --latency-ms 20      # prints "port: N", then serves
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal

_ids = itertools.count(1)


class _Protocol(asyncio.Protocol):
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method = head.split(" ", 1)[0]
            asyncio.get_running_loop().call_later(self.latency, self._answer, method, body)

    def _answer(self, method: str, body: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if method == "POST":
            record = {"id": f"r{next(_ids)}", "pending": False, **json.loads(body)}
            status, content = "201 Created", json.dumps(record).encode()
        else:
            status, content = "200 OK", b'{"clients": [], "total_count": 0}'
        self.transport.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\n\r\n".encode()
            + content
        )


async def _serve(latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(latency), "127.0.0.1", 0)
    print(f"port: {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(_serve(args.latency_ms / 1000))


if __name__ == "__main__":
    main()
