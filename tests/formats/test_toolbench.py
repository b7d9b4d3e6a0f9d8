"""ToolBench DFSDT answer files: every node of the search tree in some trajectory, paths sharing
their prefixes with the path they branch from, Finish as the finish action, win as the reward."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.toolbench import FORMAT, ROOT, convert
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord, iter_records
from trajforge.schema import Finish, Trajectory, TrajectoryDecoder, encode
from trajforge.schema.records import ToolCall

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "toolbench"
NODE = re.compile(r"^tree\.tree(\.children\[\d+\])*$")
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"ToolBench's answer files are not at {SHARED}"
)


def _nodes(node: dict[str, Any], where: str = ROOT) -> Iterator[tuple[str, dict[str, Any]]]:
    yield where, node
    for index, child in enumerate(node.get("children", [])):
        yield from _nodes(child, f"{where}.children[{index}]")


def _answer_files() -> list[Path]:
    return sorted(SHARED.glob("G*_answer/*.json"))


@pytest.fixture(scope="module")
def trees() -> dict[str, tuple[dict[str, Any], list[Trajectory]]]:
    """Each answer file's record and its trajectories (read once, through the codec)."""
    decoder = TrajectoryDecoder()
    found = {}
    for path in _answer_files():
        record = next(iter_records(path))
        trajectories = [decoder.decode(encode(t)) for t in convert(record)]
        found[f"{path.parent.name}/{path.name}"] = (record.data, trajectories)
    return found


@needs_shared
def test_every_node_of_every_tree_is_in_some_trajectory(
    trees: dict[str, tuple[dict[str, Any], list[Trajectory]]],
) -> None:
    assert len(trees) == 10
    total = 0
    for name, (data, trajectories) in trees.items():
        nodes = dict(_nodes(data["tree"]["tree"]))
        leaves = [w for w, n in nodes.items() if not n.get("children")]
        assert len(trajectories) == len(leaves), name
        seen: set[str] = set()
        for trajectory, leaf in zip(trajectories, leaves, strict=True):
            path = {w for w in trajectory.provenance.extra if NODE.match(w)}
            assert path == {w for w in nodes if leaf.startswith(w)}, name  # its whole path
            seen |= path
            kinds = [nodes[w]["node_type"] for w in sorted(path, key=len)]
            actions = [a for s in trajectory.steps for a in s.actions]
            assert len(actions) == kinds.count("Action")
            thoughts = [s.reasoning for s in trajectory.steps if s.reasoning is not None]
            assert thoughts == [
                nodes[w]["description"]
                for w in sorted(path, key=len)
                if nodes[w]["node_type"] == "Thought"
            ]
        assert seen == set(nodes), name
        total += len(trajectories)
    assert total == 61


@needs_shared
def test_a_branch_shares_its_prefix_with_its_parent(
    trees: dict[str, tuple[dict[str, Any], list[Trajectory]]],
) -> None:
    branches = 0
    for _, trajectories in trees.values():
        by_id = {t.id: t for t in trajectories}
        assert trajectories[0].provenance.parent_id is None
        for child in trajectories[1:]:
            parent = by_id[child.provenance.parent_id or ""]
            k = child.provenance.branch_step
            assert k is not None
            assert child.steps[:k] == parent.steps[:k]
            assert child.steps[k : k + 1] != parent.steps[k : k + 1]
            branches += 1
    assert branches == 61 - 10


@needs_shared
def test_finish_gives_the_answer_or_gives_up_and_win_is_the_reward(
    trees: dict[str, tuple[dict[str, Any], list[Trajectory]]],
) -> None:
    data, answered = trees["G1_answer/57_ChatGPT_DFS_woFilter_w2.json"]
    final = json.loads(data["answer_generation"]["final_answer"])["final_answer"]
    assert [t.outcome.source_reward for t in answered] == [None, None, None, 1.0]
    assert answered[-1].steps[-1].actions == [Finish(content=final, completed=True)]
    assert answered[0].tools[-1].name == "Finish"
    assert answered[0].tools[-1].role == "finish"
    _, gave_up = trees["G2_answer/10_ChatGPT_DFS_woFilter_w2.json"]
    assert {t.outcome.source_reward for t in gave_up} == {0.0}
    assert gave_up[0].steps[-1].actions == [Finish(content="", completed=False)]


@needs_shared
def test_failed_calls_are_error_results_named_by_their_code(
    trees: dict[str, tuple[dict[str, Any], list[Trajectory]]],
) -> None:
    _, trajectories = trees["G1_answer/57_ChatGPT_DFS_woFilter_w2.json"]
    news = trajectories[0].steps[1]
    assert news.actions == [
        ToolCall(
            name="news_for_seo_api",
            arguments={"query": "iPhone 14"},
            raw_arguments='{\n  "query": "iPhone 14"\n}',
        )
    ]
    assert (news.observations[0].status, news.observations[0].error_kind) == (
        "error",
        "message_error",
    )
    kinds = {
        (o.status, o.error_kind)
        for _, ts in trees.values()
        for t in ts
        for s in t.steps
        for o in s.observations
    }
    assert {("timeout", "timeout"), ("error", "unknown_tool"), ("ok", None)} <= kinds


@needs_shared
def test_the_record_keys_are_kept_once_per_tree(
    trees: dict[str, tuple[dict[str, Any], list[Trajectory]]],
) -> None:
    data, trajectories = trees["G2_answer/52_ChatGPT_DFS_woFilter_w2.json"]
    kept = trajectories[0].provenance.extra["$"]
    assert kept["compare_candidates"] == data["compare_candidates"]
    assert (
        kept["answer_generation"]["train_messages"] == data["answer_generation"]["train_messages"]
    )
    assert kept["tree"] == {"size": 74, "max_length": data["tree"]["max_length"]}
    assert all("$" not in t.provenance.extra for t in trajectories[1:])
    assert (
        trajectories[0].system_prompt
        == data["answer_generation"]["train_messages"][0][0]["content"]
    )


def _node(kind: str, text: str, *children: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"node_type": kind, "description": text, "children": list(children), **more}


def _record(tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "win": False,
        "tree": {"size": 0, "tree": tree},
        "answer_generation": {"query": "q?", "function": [{"name": "f", "parameters": {}}]},
    }


def test_a_thought_that_branches_before_its_action() -> None:
    result = _node("Action Input", "{}", observation='{"error": "", "response": "r"}')
    tree = _node(
        "Action Input",
        "",
        _node(
            "Thought",
            "t1",
            _node("Action", "f", result),  # path 0: t1 + f(...)
            _node("Thought", "t2", _node("Action", "f", result)),  # path 1: t1 alone, t2 + f
        ),
        _node("Action", "f", result),  # path 2: f straight away
    )
    first, second, third = convert(SourceRecord(_record(tree), "a.json"))
    assert [s.reasoning for s in first.steps] == ["t1"]
    assert [(s.reasoning, len(s.actions)) for s in second.steps] == [("t1", 0), ("t2", 1)]
    assert (second.provenance.parent_id, second.provenance.branch_step) == (first.id, 0)
    assert (third.provenance.parent_id, third.provenance.branch_step) == (first.id, 0)
    assert [t.outcome.source_reward for t in (first, second, third)] == [0.0, 0.0, 0.0]


def test_a_malformed_tree_is_set_aside_with_where_it_breaks(tmp_path: Path) -> None:
    bad = _node("Action Input", "", _node("Thought", "t", _node("Observation", "?")))
    source = tmp_path / "answers.json"
    source.write_text(json.dumps([_record(bad), _record(_node("Action Input", ""))]))
    quarantined: list[BadRecord] = []
    assert FORMAT.read is not None
    imported = list(FORMAT.read(str(source), quarantined.append))
    assert [len(t.steps) for t in imported] == [0]
    assert [b.error for b in quarantined] == [
        "[0].tree.tree.children[0].children[0].node_type: unknown node type 'Observation'"
    ]
    with pytest.raises(ConversionError, match="an Action Input without its Action"):
        convert(SourceRecord(_record(_node("Action Input", "", _node("Action Input", "{}"))), "x"))
