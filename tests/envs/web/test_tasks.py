"""The web task generator: variety, difficulty levels, determinism, parameters."""

from __future__ import annotations

import msgspec
import pytest

from tests.envs.web.helpers import generate_task
from trajforge.envs.web import WebEnv
from trajforge.envs.web.site import VERSIONS
from trajforge.envs.web.tasks import HIDDEN_INFO_KEYS, KINDS


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_at_least_1000_distinct_tasks_per_level(difficulty: int) -> None:
    seen = set()
    for seed in range(2000):
        task = generate_task(seed, difficulty)
        key = msgspec.json.encode([task.instruction, task.parameters], order="deterministic")
        seen.add(key)
    assert len(seen) >= 1000


def test_generation_is_deterministic() -> None:
    for difficulty in (1, 2, 3):
        for seed in (0, 7, 123456789, 2**40 + 3):
            a = msgspec.json.encode(WebEnv.generate_task(seed, difficulty))
            b = msgspec.json.encode(WebEnv.generate_task(seed, difficulty))
            assert a == b


def test_every_kind_version_and_level_occurs() -> None:
    for difficulty, kinds in KINDS.items():
        tasks = [generate_task(seed, difficulty) for seed in range(300)]
        assert {t.parameters["truth"]["kind"] for t in tasks} == set(kinds)
        assert {t.parameters["site_version"] for t in tasks} == set(VERSIONS)
        assert all(t.difficulty == difficulty and t.environment == "web" for t in tasks)


def test_levels_differ_meaningfully() -> None:
    d1 = [generate_task(s, 1) for s in range(200)]
    d2 = [generate_task(s, 2) for s in range(200)]
    d3 = [generate_task(s, 3) for s in range(200)]
    # level 1 is always signed in and short; level 2 has login walls, level 3 two goals
    assert all(t.parameters["logged_in"] for t in d1)
    assert any(not t.parameters["logged_in"] for t in d2)
    mean = [sum(len(t.expected_actions) for t in ts) / len(ts) for ts in (d1, d2, d3)]
    assert mean[0] < mean[1] < mean[2]
    for t in d3:
        truth = t.parameters["truth"]
        assert truth["moved_from"] != truth["moved_to"]
        assert truth["quirk"] in ("zip_plus4", "phone_required")
        assert len({c.name for c in t.goal_checks}) >= 5


def test_parameters_rebuild_the_world_and_carry_truth() -> None:
    for seed in range(60):
        task = generate_task(seed, 1 + seed % 3)
        p = task.parameters
        assert {"site_version", "world_seed", "now", "logged_in", "cart", "truth"} <= set(p)
        assert set(task.hidden_info) <= set(HIDDEN_INFO_KEYS)
        a, b = WebEnv(), WebEnv()
        a.reset(task)
        b.reset(task)
        assert a.digest() == b.digest()
        for gated in p["truth"]["confirm_before"]:
            action = task.expected_actions[gated["index"]]
            assert action.name == "click"


def test_hidden_info_holds_what_the_agent_must_ask_for() -> None:
    for seed in range(200):
        task = generate_task(seed, 2)
        truth = task.parameters["truth"]
        if truth["kind"] == "buy":
            assert truth["card_number"][-4:] in task.hidden_info["card_number"]
            assert "max_total" in task.hidden_info
        signs_in = any(
            a.name == "type"
            and a.arguments.get("submit")
            and a.arguments["text"] == truth.get("password")
            for a in task.expected_actions
        )
        if signs_in or truth["kind"] == "password":
            assert "password" in task.hidden_info
        if task.parameters["logged_in"] and truth["kind"] != "password":
            assert "password" not in task.hidden_info
        if truth["kind"] in ("email", "password"):
            assert "confirm_change" in task.hidden_info


def test_bad_difficulty_and_version() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        generate_task(1, 4)
    with pytest.raises(ValueError, match="site_version"):
        generate_task(1, 1, site_version="v9")


def test_sample_tasks_cycles_levels() -> None:
    tasks = WebEnv.sample_tasks(6, seed=3)
    assert [t.difficulty for t in tasks] == [1, 2, 3, 1, 2, 3]
