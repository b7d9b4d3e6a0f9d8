"""The world cache hands out equal, independent copies of a built world."""

from __future__ import annotations

import msgspec

from trajforge.envs.itops.world import build_world as build_itops
from trajforge.envs.itops.world import initial_world as itops_world
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.envs.support.world import build_world as build_support
from trajforge.envs.support.world import initial_world as support_world
from trajforge.envs.world_cache import WorldCache, clear_world_caches, parameters_key


def test_cached_worlds_equal_freshly_built_ones() -> None:
    for name, cached, built in (
        ("support", support_world, build_support),
        ("itops", itops_world, build_itops),
    ):
        for task in ENVIRONMENT_CLASSES[name].sample_tasks(20, seed=5):
            first, second = cached(task.parameters), cached(task.parameters)
            fresh = built(task.parameters)
            assert first == fresh
            assert second == fresh
            assert msgspec.msgpack.encode(first) == msgspec.msgpack.encode(fresh)


def test_copies_are_independent_and_builds_happen_once_per_key() -> None:
    class World(msgspec.Struct):
        items: list[int]

    builds: list[int] = []

    def build() -> World:
        builds.append(1)
        return World(items=[1, 2])

    cache = WorldCache(World, maxsize=2)
    first = cache.get("a", build)
    first.items.append(3)
    assert cache.get("a", build).items == [1, 2]
    assert len(builds) == 1
    cache.get("b", build)
    cache.get("a", build)  # "a" is now the most recently used
    cache.get("c", build)  # so "b" is dropped
    assert len(builds) == 3
    cache.get("a", build)
    assert len(builds) == 3
    cache.get("b", build)
    assert len(builds) == 4


def test_parameters_key_ignores_key_order() -> None:
    assert parameters_key({"a": 1, "b": {"c": 2, "d": 3}}) == parameters_key(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )


def test_clearing_forgets_every_world() -> None:
    class World(msgspec.Struct):
        n: int

    builds: list[int] = []

    def build() -> World:
        builds.append(1)
        return World(n=1)

    cache = WorldCache(World)
    cache.get("a", build)
    cache.get("a", build)
    clear_world_caches()
    cache.get("a", build)
    assert len(builds) == 2
