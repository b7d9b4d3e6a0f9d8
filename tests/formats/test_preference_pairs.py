"""Preference pairs: at a tree's branch point, whole runs of one task, never across tasks."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.preference_pairs import (
    IDENTICAL,
    NO_PREFERENCE,
    SPLIT,
    Pair,
    pairs,
    task_groups,
    task_key,
)
from trajforge.formats.ranking import prefer, quality
from trajforge.schema import Trajectory

from .trajectories import call, reply, trajectory

OPTIONS = ExportOptions()


def _pairs(
    runs: list[Trajectory], options: ExportOptions = OPTIONS
) -> tuple[list[Pair[None]], Counter[str]]:
    details: Counter[str] = Counter()
    found = [
        pair
        for group in task_groups(((run, None) for run in runs), details)
        for pair in pairs(group, options, details)
    ]
    return found, details


def test_branched_runs_pair_at_their_branch_point_and_the_better_one_is_chosen(
    branched: list[Trajectory],
) -> None:
    found, details = _pairs(branched)
    assert found
    assert all(pair.tree and pair.prefix == 2 for pair in found)
    trees = {key: [t.id for t in run] for key, run in groupby(branched, task_key)}
    assert len(trees) == 4
    for pair in found:
        chosen, rejected = pair.chosen[0], pair.rejected[0]
        assert chosen.id != rejected.id
        assert task_key(chosen) == task_key(rejected)
        shared = [[(s.actions, s.observations) for s in t.steps[:2]] for t in (chosen, rejected)]
        assert shared[0] == shared[1]
        assert prefer(quality(chosen, OPTIONS, 2), quality(rejected, OPTIONS, 2), 0.1) == 1
    compared = len(found) + details[NO_PREFERENCE] + details[IDENTICAL]
    assert compared == sum(len(ids) * (len(ids) - 1) // 2 for ids in trees.values())


def test_runs_of_one_task_outside_a_tree_pair_whole_and_other_tasks_never() -> None:
    good = trajectory("good", call("lookup", q="a"), reply("found"), status="success")
    bad = trajectory("bad", reply("no idea"), status="failure")
    other = trajectory("other", reply("?"), task="something else", status="failure")
    found, _ = _pairs([good, bad, other])
    assert [(p.chosen[0].id, p.rejected[0].id, p.prefix, p.tree) for p in found] == [
        ("good", "bad", 0, False)
    ]
    assert _pairs([good, other])[0] == []
    assert _pairs([good, good])[0] == []


def test_the_margin_decides_whether_a_small_difference_makes_a_pair() -> None:
    a = trajectory("a", reply("x"), status="partial", score=0.6)
    b = trajectory("b", reply("y"), status="partial", score=0.55)
    assert _pairs([a, b])[0] == []
    assert _pairs([a, b])[1][NO_PREFERENCE] == 1
    (pair,) = _pairs([a, b], ExportOptions(margin=0.01))[0]
    assert pair.chosen[0].id == "a"


def test_deeper_trees_share_the_earliest_branch_point_on_the_way() -> None:
    steps = [call("lookup", q=q) for q in "abcd"]
    root = trajectory("root", *steps, status="failure")
    child = trajectory(
        "child", *steps[:3], reply("x"), status="success", parent="root", branch_step=3
    )
    grandchild = trajectory(
        "grandchild", steps[0], reply("y"), status="partial", parent="child", branch_step=1
    )
    sibling = trajectory(
        "sibling", *steps[:2], reply("z"), status="partial", score=0.9, parent="root", branch_step=2
    )
    found, _ = _pairs([root, child, grandchild, sibling])
    prefixes = {frozenset((p.chosen[0].id, p.rejected[0].id)): p.prefix for p in found}
    assert prefixes[frozenset(("root", "child"))] == 3
    assert prefixes[frozenset(("child", "grandchild"))] == 1
    assert prefixes[frozenset(("root", "grandchild"))] == 1
    assert prefixes[frozenset(("grandchild", "sibling"))] == 1
    assert prefixes[frozenset(("child", "sibling"))] == 2


def test_a_task_whose_records_are_not_consecutive_is_counted_as_split() -> None:
    a = trajectory("a", reply("x"), status="success")
    b = trajectory("b", reply("y"), task="other", status="failure")
    c = trajectory("c", reply("z"), status="failure")
    found, details = _pairs([a, b, c])
    assert found == []
    assert details[SPLIT] == 1
