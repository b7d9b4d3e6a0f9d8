"""BFCL questions as step-less tasks: tools in JSON Schema, possible answers as expected actions
(every accepted value kept), found beside the question file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from trajforge.formats.bfcl import FORMAT
from trajforge.formats.bfcl_answers import answer_path, ground_truths
from trajforge.io import BadRecord
from trajforge.schema import ArgumentMatch, ExpectedAction, Trajectory

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bfcl"
LINES = {
    "irrelevance": 5,
    "multi_turn_base": 5,
    "multiple": 10,
    "parallel": 10,
    "simple_java": 5,
    "simple_python": 20,
}


JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def _types(schema: Any) -> list[str]:
    """Every ``type`` name in a schema, however deep."""
    if isinstance(schema, list):
        return [t for item in schema for t in _types(item)]
    if not isinstance(schema, dict):
        return []
    own = [schema["type"]] if isinstance(schema.get("type"), str) else []
    return own + [t for key, value in schema.items() if key != "type" for t in _types(value)]


def _read(source: Path | str) -> tuple[list[Trajectory], list[BadRecord]]:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    return list(FORMAT.read(str(source), bad.append)), bad


@pytest.fixture(scope="module")
def questions() -> dict[str, Trajectory]:
    """Every question of the fixture folder (answer lines and function docs give nothing)."""
    trajectories, bad = _read(FIXTURES)
    assert bad == []
    return {t.id.removeprefix("bfcl-"): t for t in trajectories}


def test_every_question_is_a_task_without_steps(questions: dict[str, Trajectory]) -> None:
    for category, count in LINES.items():
        assert sum(q.startswith(f"{category}_") for q in questions) == count
    assert len(questions) == sum(LINES.values())
    for trajectory in questions.values():
        assert trajectory.steps == []
        assert trajectory.task.instruction
        assert trajectory.tools
        for tool in trajectory.tools:
            fastjsonschema.compile(tool.parameters)
            assert set(_types(tool.parameters)) <= JSON_TYPES  # BFCL's type names are gone


def test_every_ground_truth_call_is_an_expected_action(questions: dict[str, Trajectory]) -> None:
    for category in LINES:
        question_file = FIXTURES / f"BFCL_v4_{category}.json"
        for qid, truth in ground_truths(str(question_file)).items():
            calls = [c for turn in truth for c in turn] if "multi_turn" in qid else truth
            task = questions[qid].task
            assert len(task.expected_actions) == len(calls), qid
            assert task.expected_actions_ordered == ("multi_turn" in qid)
            names = [c.split("(")[0] if isinstance(c, str) else next(iter(c)) for c in calls]
            assert [a.name for a in task.expected_actions] == names
    assert all(not q.task.expected_actions for k, q in questions.items() if "irrelevance" in k)


def test_accepted_values_become_matchers(questions: dict[str, Trajectory]) -> None:
    # {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}
    assert questions["simple_python_0"].task.expected_actions == [
        ExpectedAction(
            name="calculate_triangle_area",
            arguments={"base": 10, "height": 5},
            match={"unit": ArgumentMatch(mode="any_of", values=["units"])},
        )
    ]
    # "protein_name": ["human HbA1c", "HbA1c"], "model_3d": [true, ""]
    first = questions["parallel_3"].task.expected_actions[0]
    assert first.arguments == {"protein_name": "human HbA1c"}
    assert first.match == {
        "protein_name": ArgumentMatch(mode="any_of", values=["human HbA1c", "HbA1c"]),
        "model_3d": ArgumentMatch(mode="any_of", values=[True]),
    }
    # a HashMap argument written key by key: "params": [{"limit": [50], "schemaFilter": ["public"]}]
    java = questions["simple_java_1"].task.expected_actions[0]
    assert java.arguments["params"] == {"limit": 50, "schemaFilter": "public"}


def test_multi_turn_questions_take_their_class_docs_and_python_calls(
    questions: dict[str, Trajectory],
) -> None:
    question = questions["multi_turn_base_0"]
    names = {tool.name for tool in question.tools}
    assert {"cd", "mv", "grep", "sort", "post_tweet"} <= names
    assert "cp" not in names  # its excluded_function
    assert question.provenance.extra["$"]["excluded_function"] == ["cp"]
    assert len(question.task.parameters["user_turns"]) == 3
    assert set(question.task.parameters["initial_config"]) == {"GorillaFileSystem", "TwitterAPI"}
    actions = question.task.expected_actions
    assert actions[:2] == [
        ExpectedAction(name="cd", arguments={"folder": "document"}),
        ExpectedAction(name="mkdir", arguments={"dir_name": "temp"}),
    ]
    # "sort('final_report.pdf')": a positional argument, named after the function doc
    assert ExpectedAction(name="sort", arguments={"file_name": "final_report.pdf"}) in actions


def _copy(tmp_path: Path, category: str, *, answers: bool) -> Path:
    question = tmp_path / "data" / f"BFCL_v4_{category}.json"
    question.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / question.name, question)
    if answers:
        answer_path(question).parent.mkdir()
        shutil.copy(FIXTURES / "possible_answer" / question.name, answer_path(question))
    return question


@pytest.mark.parametrize("answers", [True, False])
def test_answers_are_found_by_the_same_name_under_possible_answer(
    tmp_path: Path, answers: bool
) -> None:
    question = _copy(tmp_path, "parallel", answers=answers)
    assert answer_path(question) == tmp_path / "data" / "possible_answer" / question.name
    trajectories, bad = _read(question)
    assert (len(trajectories), bad) == (10, [])
    assert all(bool(t.task.expected_actions) == answers for t in trajectories)


def test_bad_questions_are_set_aside_with_the_reason(tmp_path: Path) -> None:
    question = _copy(tmp_path, "multi_turn_base", answers=True)  # no function docs beside it
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in question.read_text().splitlines()[:1]
    ]
    lines.append({"id": "x_1", "question": [[{"role": "assistant", "content": "hi"}]]})
    lines.append(
        {
            "id": "x_2",
            "question": [[{"role": "user", "content": "q"}]],
            "function": [{"name": "f", "parameters": {"type": "quaternion"}}],
        }
    )
    question.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    trajectories, bad = _read(question)
    assert trajectories == []
    assert [(b.line, b.error) for b in bad] == [
        (
            1,
            "involved_classes: no function docs for class 'TwitterAPI' (looked for "
            f"{question.parent / 'multi_turn_func_doc' / 'posting_api.json'})",
        ),
        (
            2,
            "question[0]: expected one user message in the first turn (after an optional "
            "system message)",
        ),
        (3, "function[0].parameters.type: unknown parameter type 'quaternion'"),
    ]
