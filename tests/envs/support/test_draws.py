"""``Draws`` gives ``random.Random``'s values; the support worlds built with it are unchanged."""

from __future__ import annotations

import hashlib
import random

import msgspec
import pytest

from trajforge.envs.support.draws import Draws
from trajforge.envs.support.world import build_world

#: sha256 of the msgpack of the worlds of ``_world_parameters``, from before ``Draws`` existed:
#: stored datasets replay only if every world stays exactly the same.
WORLDS_DIGEST = "d21459a922bd88ebe410db85ba9bdc8d6be10277f12279f3b48037f16ca21b42"


def _world_parameters(n: int) -> dict[str, object]:
    return {
        "now": f"2024-0{1 + n % 9}-1{n % 10}",
        "world": {"seed": n * 7919, "customers": 6 + n % 5, "products": 12 + n % 7},
    }


def test_draws_match_random_random() -> None:
    population = tuple(range(40))
    for seed in range(200):
        ours, theirs = Draws(seed), random.Random(seed)
        for n in range(1, 40):
            assert ours.randint(-3, n) == theirs.randint(-3, n)
            assert ours.below(n) == theirs.randrange(n)
            assert ours.choice(population[:n]) == theirs.choice(population[:n])
            assert ours.random() == theirs.random()
            k = seed % (n + 1)
            assert ours.sample(population[:n], k) == theirs.sample(population[:n], k)
            assert ours.sample(range(n * 9), n) == theirs.sample(range(n * 9), n)
            weights = (n, 3, 14, 1)
            assert (
                ours.weighted("abcd", (n, n + 3, n + 17, n + 18))
                == (theirs.choices("abcd", weights)[0])
            )


def test_draws_fail_like_random() -> None:
    draws = Draws(0)
    with pytest.raises(ValueError, match="empty range"):
        draws.randint(3, 2)
    with pytest.raises(ValueError, match="Sample larger than population"):
        draws.sample((1, 2), 3)
    with pytest.raises(IndexError, match="empty sequence"):
        draws.choice([])


def test_worlds_are_unchanged() -> None:
    digest = hashlib.sha256()
    for n in range(60):
        digest.update(msgspec.msgpack.encode(build_world(_world_parameters(n))))
    assert digest.hexdigest() == WORLDS_DIGEST
