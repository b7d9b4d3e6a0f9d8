"""What ``trajforge envs list`` and ``envs show`` print."""

from __future__ import annotations

from rich.console import Console, RenderableType

from trajforge.envs.registry import ENVIRONMENTS, get_spec
from trajforge.report.env_tables import environment_details, environments_table


def rendered(renderable: RenderableType) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def test_show_prints_the_policy_document() -> None:
    spec = get_spec("support")
    text = rendered(environment_details(spec))
    assert "policy document" in text
    assert "Policy of the support environment" in text
    for rule in spec.environment.policy_rules:
        assert f"{rule.name} (" in text


def test_list_says_which_environments_have_an_expert() -> None:
    text = rendered(environments_table(ENVIRONMENTS.items()))
    assert "expert" in text
    assert all(name in text for name in ENVIRONMENTS)
