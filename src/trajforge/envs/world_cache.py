"""Initial worlds built once per task and handed out as fresh copies.

Building a task's world (customers, orders, configs, pages) costs far more than copying one, and
the same task's world is wanted again and again: at every reset of a replay or a Monte-Carlo
rollout, by goal checks that compare with the initial state, by policy checks. A ``WorldCache``
keeps the worlds it built as msgpack bytes (the least recently used dropped beyond ``maxsize``)
and decodes a fresh, mutable copy for each caller, so nobody sees another's changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import msgspec

S = TypeVar("S")
_CACHES: list[WorldCache[Any]] = []


def clear_world_caches() -> None:
    """Empty every world cache (benchmarks time cold starts with it)."""
    for cache in _CACHES:
        cache.clear()


def parameters_key(parameters: dict[str, Any]) -> bytes:
    """A cache key for a task's parameters (their canonical JSON)."""
    return msgspec.json.encode(parameters, order="deterministic")


class WorldCache(Generic[S]):
    """Worlds of type ``state_type`` by key; ``get(key, build)`` builds on a miss."""

    def __init__(self, state_type: type[S], maxsize: int = 256) -> None:
        self.state_type = state_type
        self.maxsize = maxsize
        self._worlds: OrderedDict[Hashable, bytes] = OrderedDict()
        self._decoder = msgspec.msgpack.Decoder(state_type)
        _CACHES.append(self)

    def clear(self) -> None:
        """Forget every world."""
        self._worlds.clear()

    def get(self, key: Hashable, build: Callable[[], S]) -> S:
        """A fresh copy of the world stored under ``key`` (``build()`` it on a miss)."""
        data = self._worlds.get(key)
        if data is None:
            world = build()  # the caller gets it; the cache keeps a snapshot of it
            self._worlds[key] = msgspec.msgpack.encode(world)
            if len(self._worlds) > self.maxsize:
                self._worlds.popitem(last=False)
            return world
        self._worlds.move_to_end(key)
        return self._decoder.decode(data)
