"""Environment specs: each built-in's policy document is assembled from its policy rules."""

from __future__ import annotations

import re

import pytest

from tests.envs.toy_env import CounterEnv
from trajforge.envs.registry import ENVIRONMENTS, get_spec
from trajforge.envs.spec import EnvironmentSpec, as_spec, rule_section

BUILT_IN = ["support", "itops", "dataops", "web", "scheduling"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_the_document_has_one_section_per_rule_and_no_other(name: str) -> None:
    spec = get_spec(name)
    document = spec.policy_document
    rules = spec.environment.policy_rules
    assert rules
    for rule in rules:
        assert rule_section(rule) in document
    headings = re.findall(r"^### (\S+) \(", document, re.MULTILINE)
    assert headings == [rule.name for rule in rules]


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_has_a_preamble_and_an_expert(name: str) -> None:
    spec = get_spec(name)
    assert spec.name == name
    assert spec.expert is not None
    assert spec.policy_document.startswith(f"# Policy of the {name} environment\n\n{spec.preamble}")


def test_a_bare_environment_class_becomes_a_spec_without_expert() -> None:
    spec = as_spec(CounterEnv)
    assert spec == EnvironmentSpec(CounterEnv)
    assert "### no_reset (always)\n\nnever reset" in spec.policy_document


def test_anything_else_is_refused() -> None:
    with pytest.raises(TypeError, match="EnvironmentSpec or an Environment subclass"):
        as_spec(object())


def test_the_built_ins_are_registered_by_name() -> None:
    assert [name for name in ENVIRONMENTS if name in BUILT_IN] == BUILT_IN
