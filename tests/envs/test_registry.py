"""The environment registry: built-ins by name, additions by code, classes as a mapping."""

from __future__ import annotations

import pytest

from tests.envs.toy_env import CounterEnv
from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS, get_environment, get_spec
from trajforge.envs.support import SPEC, SupportEnv
from trajforge.errors import ConfigError


def test_a_built_in_is_found_by_name() -> None:
    assert get_spec("support") is SPEC
    assert get_environment("support") is SupportEnv
    assert ENVIRONMENT_CLASSES["support"] is SupportEnv


def test_an_unknown_name_names_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        get_environment("nowhere")
    assert "support" in (caught.value.hint or "")
    assert "nowhere" not in ENVIRONMENT_CLASSES


def test_an_added_bare_class_is_registered_until_removed() -> None:
    ENVIRONMENTS.add("counter", CounterEnv)
    try:
        assert get_environment("counter") is CounterEnv
        assert get_spec("counter").expert is None
        assert "counter" in ENVIRONMENT_CLASSES
    finally:
        ENVIRONMENTS.remove("counter")
    assert "counter" not in ENVIRONMENTS
