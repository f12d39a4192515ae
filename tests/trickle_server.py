"""A real HTTP server on 127.0.0.1 that answers a byte at a time (a slow-loris answer).

It reads each request whole, then sends a head declaring a large ``Content-Length`` and
trickles the body one byte every ``interval`` seconds, so no single read ever waits long
enough for httpx's read timeout. It gives up after ``give_up_after`` seconds (closing the
connection), so a client that waits for the whole answer is not held forever.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

#: What the server declares it will send: far more than it sends before giving up.
DECLARED_BYTES = 100_000


class TrickleServer:
    """Answers every request with a trickled body; ``requests`` holds their request lines."""

    def __init__(self, *, interval: float, give_up_after: float) -> None:
        self.interval = interval
        self.give_up_after = give_up_after
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.give_up_after + 5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._answer, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _answer(self, connection: socket.socket) -> None:
        with closing(connection):
            connection.settimeout(self.give_up_after)
            try:
                self.requests.append(_read_request(connection))
                connection.sendall(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {DECLARED_BYTES}\r\n\r\n".encode()
                )
                give_up = time.monotonic() + self.give_up_after
                while time.monotonic() < give_up and not self._stop.wait(self.interval):
                    connection.sendall(b" ")
            except OSError:
                return  # the client gave up and closed the connection: what is wanted


def _read_request(connection: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise OSError("the client closed the connection before sending a request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n", 1)[0].decode("ascii", "replace")


@contextmanager
def trickle_server(
    *, interval: float = 0.05, give_up_after: float = 20.0
) -> Iterator[TrickleServer]:
    """A started `TrickleServer`, stopped on exit."""
    server = TrickleServer(interval=interval, give_up_after=give_up_after)
    server.start()
    try:
        yield server
    finally:
        server.stop()
