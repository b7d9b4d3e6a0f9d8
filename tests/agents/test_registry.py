"""Which expert plays an environment: its own, else one registered for it; with the policy
document as its system prompt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agents.test_scripted import CounterExpert
from tests.envs.toy_env import CounterEnv
from trajforge.agents.registry import EXPERTS, expert_for, find_expert, with_experts
from trajforge.envs.registry import ENVIRONMENTS, get_spec
from trajforge.envs.support import SupportExpert
from trajforge.errors import ConfigError, TrajforgeError


@pytest.fixture
def counter() -> Iterator[None]:
    """The toy environment, registered without an expert of its own."""
    ENVIRONMENTS.add("counter", CounterEnv)
    yield
    ENVIRONMENTS.remove("counter")


def test_an_environment_s_own_expert_gets_its_policy_document() -> None:
    task = get_spec("support").environment.sample_tasks(1, seed=1)[0]
    expert = expert_for("support")(task, [], 1)
    assert isinstance(expert, SupportExpert)
    assert expert.system_prompt == get_spec("support").policy_document
    assert find_expert("support") is SupportExpert
    assert "support" in with_experts()


@pytest.mark.usefixtures("counter")
def test_an_environment_without_expert_says_which_have_one() -> None:
    assert find_expert("counter") is None
    with pytest.raises(ConfigError) as caught:
        expert_for("counter")
    assert "support" in (caught.value.hint or "")


@pytest.mark.usefixtures("counter")
def test_an_expert_registered_for_an_environment_plays_it() -> None:
    EXPERTS.add("counter", CounterExpert)
    try:
        assert find_expert("counter") is CounterExpert
        task = CounterEnv.generate_task(3, 1)
        expert = expert_for("counter")(task, [], 3)
        assert expert.system_prompt == get_spec("counter").policy_document
    finally:
        EXPERTS.remove("counter")


def test_only_scripted_experts_register() -> None:
    with pytest.raises(TrajforgeError, match="ScriptedExpert subclass"):
        EXPERTS.add("support", object)
