"""A setting that must be one of a few values names them when it is not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.curate.conftest import RunStep
from trajforge.curate.choices import choices_at
from trajforge.curate.filter import FilterSettings
from trajforge.errors import ConfigError


@pytest.mark.parametrize(
    ("name", "table", "where", "choices"),
    [
        ("audit", {"queue": "q", "per_stratum": 1, "allocation": "prop"}, "[audit].allocation",
         "one of: equal, proportional"),
        ("audit", {"queue": "q", "per_stratum": 1, "strata": ["outcome", "env"]},
         "[audit].strata[1]", "one of: agent, environment, label, outcome, source"),
        ("decontaminate", {"eval": "e.jsonl", "action": "delete"}, "[decontaminate].action",
         "one of: drop, flag"),
        ("decontaminate", {"eval": "e.jsonl", "action": 1}, "[decontaminate].action",
         "one of: drop, flag"),
    ],
)  # fmt: skip
def test_a_value_not_among_the_choices_names_them(
    run_step: RunStep, name: str, table: dict[str, Any], where: str, choices: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_step(name, table, [])
    assert caught.value.path == where
    assert caught.value.hint == choices


def test_fields_without_choices_have_none() -> None:
    assert choices_at(FilterSettings, "keep[0].field") is None
    assert choices_at(FilterSettings, "nothing.here[3]") is None
