"""The scheduling task generator: variety, determinism, difficulty and the truth it records."""

from __future__ import annotations

from collections import Counter

import msgspec
import pytest

from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.scheduling.clock import parse_iso
from trajforge.envs.scheduling.tasks import HIDDEN_INFO_KEYS, LEVEL2_VARIANTS
from trajforge.schema import Task


def _key(task: Task) -> bytes:
    return msgspec.json.encode([task.instruction, task.parameters], order="deterministic")


def test_at_least_a_thousand_distinct_tasks() -> None:
    keys = {_key(SchedulingEnv.generate_task(seed, 1 + seed % 3)) for seed in range(2000)}
    assert len(keys) >= 1000


def test_generation_is_deterministic() -> None:
    for difficulty in (1, 2, 3):
        for seed in (0, 7, 123456789):
            a = SchedulingEnv.generate_task(seed, difficulty)
            b = SchedulingEnv.generate_task(seed, difficulty)
            assert msgspec.json.encode(a) == msgspec.json.encode(b)
    assert _key(SchedulingEnv.generate_task(1, 1)) != _key(SchedulingEnv.generate_task(2, 1))


def test_unknown_difficulty_is_refused() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        SchedulingEnv.generate_task(0, 4)


def test_task_fields_and_hidden_info() -> None:
    for difficulty in (1, 2, 3):
        for seed in range(40):
            task = SchedulingEnv.generate_task(seed, difficulty)
            assert task.environment == "scheduling"
            assert task.environment_version == SchedulingEnv.version
            assert (task.seed, task.difficulty, task.domain) == (seed, difficulty, "calendar")
            assert task.instruction
            assert task.goal_checks
            assert task.expected_actions
            truth = task.parameters["truth"]
            assert set(task.hidden_info) <= set(HIDDEN_INFO_KEYS)
            assert set(truth["ambiguous"]) <= set(task.hidden_info)
            assert all(isinstance(v, str) and v for v in task.hidden_info.values())
            assert {a.name for a in task.expected_actions} <= set(SchedulingEnv.tools)
            msgspec.json.encode(task.parameters)  # JSON-able


def test_times_in_parameters_carry_the_world_offset() -> None:
    task = SchedulingEnv.generate_task(3, 3)
    offset = task.parameters["utc_offset"]
    stamps = [task.parameters["now"]] + [
        m[k] for m in task.parameters["meetings"] for k in ("start", "end")
    ]
    booking = task.parameters["truth"]["booking"]
    stamps += [booking["start"], booking["end"], booking["earliest_start"], booking["latest_end"]]
    assert all(s.endswith(offset) for s in stamps)
    assert all(parse_iso(s) > 0 for s in stamps)


def test_difficulty_levels_differ() -> None:
    seen: dict[int, Counter[str]] = {1: Counter(), 2: Counter(), 3: Counter()}
    for difficulty in (1, 2, 3):
        for seed in range(160):
            task = SchedulingEnv.generate_task(seed, difficulty)
            truth = task.parameters["truth"]
            seen[difficulty][truth["variant"]] += 1
            people = {p["id"]: p for p in task.parameters["people"]}
            if difficulty == 1:
                assert truth["ambiguous"] == []
                assert "reschedule" not in truth
                assert truth["booking"]["exact_time"]
            elif difficulty == 2:
                assert len(truth["ambiguous"]) <= 1
            else:
                assert len(truth["ambiguous"]) == 2
                assert "reschedule" in truth
                assert "booking" in truth
                attendees = truth["booking"]["attendee_ids"]
                assert len(attendees) >= 3
                zones = {people[p]["timezone"] for p in attendees} | {task.parameters["timezone"]}
                assert len(zones) >= 2
                names = [a.name for a in task.expected_actions]
                assert names.index("reschedule_meeting") < names.index("book_meeting")
    assert set(seen[2]) == set(LEVEL2_VARIANTS)
    assert set(seen[1]) == {"single_booking"}
    assert set(seen[3]) == {"cross_timezone"}


def test_ambiguous_requests_really_are_ambiguous() -> None:
    for seed in range(200):
        task = SchedulingEnv.generate_task(seed, 2)
        truth = task.parameters["truth"]
        text = task.instruction or ""
        variant = truth["variant"]
        if variant == "amb_attendee":
            first = task.hidden_info["attendee"].split()[2]
            people = task.parameters["people"]
            assert sum(p["name"].startswith(first + " ") for p in people) == 2
            assert f"{first} " in text or f"{first}," in text or f"{first}." in text
        elif variant == "amb_room":
            assert "big room" in text
            big = [r for r in task.parameters["rooms"] if r["capacity"] >= 12]
            assert len(big) == 2
        elif variant == "amb_duration":
            assert "minute" not in text
            assert "hour" not in text
        elif variant == "amb_date":
            assert "next week" in text
        elif variant == "amb_meeting":
            assert "my " in text
            starts = [
                m["start"][11:16]
                for m in task.parameters["meetings"]
                if m["organizer_id"] == task.parameters["user_id"]
                and m["start"][11:16] == truth["reschedule"]["original_start"][11:16]
                and m["start"] > task.parameters["now"]
            ]
            assert len(starts) >= 2
