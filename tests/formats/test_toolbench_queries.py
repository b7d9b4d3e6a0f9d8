"""ToolBench queries: tasks without steps, tools named as ToolBench names its functions, the
relevant APIs as expected tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.toolbench import convert
from trajforge.formats.toolbench_queries import function_name, query_task, standardize
from trajforge.io.documents import SourceRecord, iter_records

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "toolbench"


@pytest.mark.parametrize(
    ("tool", "api", "name"),
    [
        # names that ToolBench's own answer files (shared/fixtures/toolbench) give these APIs
        ("transitaires", "Transitaire", "transitaire_for_transitaires"),
        ("SEO API", "Products", "products_for_seo_api"),
        ("SQUAKE", "Checkhealth", "checkhealth_for_squake"),
        # its rules: runs of other characters as one _, a leading digit, reserved words
        ("My--Tool!", "5-day  forecast", "get_5_day_forecast_for_my_tool"),
        ("t", "id", "is_id_for_t"),
    ],
)
def test_function_names_follow_toolbench(tool: str, api: str, name: str) -> None:
    assert function_name(tool, api) == name


def test_names_are_cut_to_their_last_64_characters() -> None:
    name = function_name("tool", "a" * 80)
    assert len(name) == 64
    assert name.endswith("_for_tool")
    assert standardize("__Ünïcode__") == "n_code"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"ToolBench's query files are not at {SHARED}")
def test_query_files_become_tasks_with_expected_tools() -> None:
    tasks = [t for r in iter_records(SHARED / "G1_query.json") for t in convert(r)]
    assert [t.id for t in tasks] == [f"tb-G1_query-{n}" for n in range(1, 6)]
    first = tasks[0]
    assert first.steps == []
    assert first.task.expected_tools == ["checkhealth_for_squake", "projects_for_squake"]
    assert [tool.name for tool in first.tools] == first.task.expected_tools
    assert first.provenance.extra["api_list[0]"] == {"category_name": "Logistics", "method": "GET"}
    assert all(set(t.task.expected_tools) <= {tool.name for tool in t.tools} for t in tasks)


def test_parameters_are_typed_the_toolbench_way() -> None:
    api = {
        "tool_name": "Weather",
        "api_name": "Forecast",
        "api_description": "",
        "required_parameters": [
            {"name": "from", "type": "NUMBER", "description": "start", "default": 3}
        ],
        "optional_parameters": [
            {"name": "units", "type": "ENUM", "description": "", "default": ""}
        ],
    }
    task = query_task({"query": "q", "query_id": 7, "api_list": [api]}, "G9_query.json")
    (tool,) = task.tools
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "is_from": {"type": "integer", "description": "start", "examples": [3]},
            "units": {"type": "string"},
        },
        "required": ["is_from"],
    }
    assert tool.description is None
    bad = {"query": "q", "query_id": 1, "api_list": [], "relevant APIs": [["only one"]]}
    with pytest.raises(ConversionError, match="relevant APIs\\[0\\]: expected a \\[tool name"):
        convert(SourceRecord(bad, "G1_query.json"))
