"""Rows whose duplicate key (their email, where the provider refuses a second client with
one) has a request in flight: a second row with the same key waits for the first's answer.

The provider's refusal of a duplicate is only reliable for requests one after another, so
two rows with one key are never sent together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import anyio

__all__ = ["KeysInFlight"]

Item = TypeVar("Item")


class KeysInFlight(Generic[Item]):
    """The keys with a request in flight, each with the line of the row that holds it."""

    def __init__(
        self, key_of: Callable[[Item], str | None], line_of: Callable[[Item], int]
    ) -> None:
        self._key_of = key_of
        self._line_of = line_of
        self._held: dict[str, tuple[int, anyio.Event]] = {}

    def claim(self, items: Iterable[Item]) -> tuple[list[Item], list[tuple[Item, int]]]:
        """The items to send now (their keys are claimed), and those held back, each with
        the line of the row in flight (or earlier in ``items``) with the same key."""
        import anyio

        ready: list[Item] = []
        held: list[tuple[Item, int]] = []
        for item in items:
            key = self._key_of(item)
            if key is None:
                ready.append(item)
            elif key in self._held:
                held.append((item, self._held[key][0]))
            else:
                self._held[key] = (self._line_of(item), anyio.Event())
                ready.append(item)
        return ready, held

    def release(self, sent: Iterable[Item]) -> None:
        """The answers to ``sent`` are in: their keys are free again."""
        for item in sent:
            key = self._key_of(item)
            if key is not None and key in self._held and self._held[key][0] == self._line_of(item):
                self._held.pop(key)[1].set()

    async def wait_for(self, item: Item) -> None:
        """Until the row holding ``item``'s key has its answer (every request gets one)."""
        key = self._key_of(item)
        if key is not None and key in self._held:
            await self._held[key][1].wait()
