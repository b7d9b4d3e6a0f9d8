"""Ray tasks of cheap items grow (each task costs the driver and the scheduler a few ms), tasks
of slow ones stay small."""

from __future__ import annotations

import pytest

from trajforge.engine.ray_engine import MAX_ITEMS, TASK_SECONDS, _Sizing

pytestmark = pytest.mark.ray


def test_cheap_items_make_bigger_tasks_up_to_the_most() -> None:
    sizing = _Sizing(32)
    sizing.took(32, 32 * 0.004)  # 4 ms an item
    assert sizing.size == int(TASK_SECONDS / 0.004)
    for _ in range(4):
        sizing.took(sizing.size, sizing.size * 1e-6)  # far cheaper still
    assert sizing.size == MAX_ITEMS


def test_slow_items_keep_the_least_and_a_slow_spell_is_smoothed() -> None:
    sizing = _Sizing(4)
    sizing.took(4, 4 * 2.0)  # a model's seconds per item
    assert sizing.size == 4
    sizing = _Sizing(4)
    sizing.took(4, 4 * 0.004)
    sizing.took(50, 50 * 0.012)  # one task on a busy machine: the mean of the two
    assert sizing.size == int(TASK_SECONDS / 0.008)
