"""The tools an environment marks idempotent are: made again right after it succeeded, such a
call leaves the state as it was (its digest unchanged). Checked on every change made in expert
runs with mistakes (so that odd calls come up too), in every environment, and by hand for the
marked changes those runs seldom make; the unmarked changes the runs make act again at least
once (else marking them would be right, and worth more to the graders)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from trajforge.agents.registry import expert_for, with_experts, with_mistakes
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.run.episode import generate_episode
from trajforge.schema import ToolCall

N_TASKS = 40


def _twice(env_name: str, tool: str, pick: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """Whether the second of two identical calls (arguments picked from the reset state)
    changed the state; the first must succeed."""
    cls = ENVIRONMENT_CLASSES[env_name]
    env = cls()
    env.reset(cls.sample_tasks(1, seed=7)[0], 0)
    call = ToolCall(id="first", name=tool, arguments=pick(env.state()))
    assert env.execute(call).status == "ok"
    before = env.digest()
    env.execute(ToolCall(id="again", name=tool, arguments=call.arguments))
    return env.digest() != before


ADDRESS = {"line1": "1 Elm St", "city": "Salem", "state": "OR", "zip": "97301"}
#: Marked tools the expert runs seldom make, each made twice by hand.
BY_HAND: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("scheduling", "cancel_meeting"): lambda s: {
        "meeting_id": next(k for k, m in s["meetings"].items() if m["organizer_id"] == s["user_id"])
    },
    ("support", "update_address"): lambda s: {
        "customer_id": next(iter(s["customers"])),
        "address": ADDRESS,
    },
    ("itops", "request_approval"): lambda s: {
        "action": "restart",
        "service": next(iter(s["services"])),
        "reason": "the service keeps crashing on start",
    },
}


@pytest.mark.parametrize(("env_name", "tool"), sorted(BY_HAND))
def test_a_seldom_made_idempotent_change_made_twice_changes_nothing(
    env_name: str, tool: str
) -> None:
    assert ENVIRONMENT_CLASSES[env_name].tools[tool].idempotent
    assert not _twice(env_name, tool, BY_HAND[env_name, tool])


@cache
def repeats(env_name: str) -> dict[str, collections.Counter[bool]]:
    """Per changing tool: how often a repeat right after a success changed the state."""
    cls = ENVIRONMENT_CLASSES[env_name]
    read_only = frozenset(n for n, t in cls.tools.items() if t.read_only)
    policy = with_mistakes(expert_for(env_name), rate=0.3, recover=True, read_only=read_only)
    found: dict[str, collections.Counter[bool]] = collections.defaultdict(collections.Counter)
    for i, task in enumerate(cls.sample_tasks(N_TASKS, seed=7)):
        trajectory = generate_episode(cls, policy, task, trajectory_id=f"t{i}", seed=i)
        env = cls()
        env.reset(task, i)
        for call in (a for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)):
            result = env.execute(call)
            if call.name in read_only or result.status != "ok":
                continue
            before, snapshot = env.digest(), env.snapshot()
            env.execute(ToolCall(id="again", name=call.name, arguments=call.arguments))
            found[call.name][env.digest() != before] += 1
            env.restore(snapshot)
    return found


@pytest.mark.parametrize("env_name", sorted(with_experts()))
def test_an_idempotent_tool_made_again_changes_nothing(env_name: str) -> None:
    tools = ENVIRONMENT_CLASSES[env_name].tools
    seen = repeats(env_name)
    for name, tool in tools.items():
        if tool.read_only:
            assert tool.idempotent
        elif tool.idempotent:
            assert seen[name][True] == 0, f"{name} acted again"


@pytest.mark.parametrize("env_name", sorted(with_experts()))
def test_every_idempotent_change_was_tried_twice_and_the_others_act_again(env_name: str) -> None:
    tools = ENVIRONMENT_CLASSES[env_name].tools
    seen = repeats(env_name)
    untried = {
        n
        for n, t in tools.items()
        if t.idempotent and not t.read_only and not seen[n] and (env_name, n) not in BY_HAND
    }
    assert untried == set()
    acting = {n for n, t in tools.items() if not t.idempotent and seen[n]}
    assert all(seen[n][True] for n in acting), {n: seen[n] for n in acting}
