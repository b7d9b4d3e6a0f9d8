"""Diversity measures: exact on a small hand-made set, and telling generated datasets apart."""

from __future__ import annotations

import pytest

from tests.curate.generated import generated
from trajforge.curate.diversity import DiversityAccumulator, diversity, words
from trajforge.schema import Step, Task, ToolCall, Trajectory


def calling(id_: str, instruction: str | None, *tools: str) -> Trajectory:
    steps = [Step(actions=[ToolCall(id=f"c{i}", name=name)]) for i, name in enumerate(tools)]
    return Trajectory(id=id_, task=Task(instruction=instruction), steps=steps)


def test_measures_by_hand() -> None:
    result = diversity(
        [
            calling("1", "Refund order W123 now", "a", "b"),
            calling("2", "Refund order #456 now, please", "b", "a"),
            calling("3", None, "a", "b"),
        ]
    )
    assert (result.trajectories, result.instructions, result.distinct_instructions) == (3, 2, 2)
    assert (result.distinct_tool_sequences, result.distinct_tool_sets) == (2, 1)
    assert (result.tool_calls, result.tool_entropy_bits) == (6, 1.0)
    # words: refund order <num> now | refund order <num> now please
    assert result.distinct_n == pytest.approx({"1": 5 / 9, "2": 4 / 7, "3": 3 / 5, "4": 2 / 3})
    assert result.ngram_diversity == pytest.approx(5 / 9 * 4 / 7 * 3 / 5 * 2 / 3)
    assert result.exact


def test_numbers_are_one_word() -> None:
    assert words("Order W6696534: refund $12.50 to 614-555-4036") == [
        "order", "<num>", "refund", "<num>", "<num>", "to", "<num>", "<num>", "<num>"
    ]  # fmt: skip


def test_generated_datasets_rank_as_expected() -> None:
    one_env = diversity(generated(("support", 40)))
    four_envs = diversity(
        generated(("support", 10), ("itops", 10), ("scheduling", 10), ("dataops", 10))
    )
    with_mistakes = diversity(generated(("support", 40), mistakes=0.3))
    assert one_env.trajectories == four_envs.trajectories == 40
    # four environments: more tools, more ways to use them, more words
    assert four_envs.distinct_tool_sequences > one_env.distinct_tool_sequences
    assert four_envs.tool_entropy_bits > one_env.tool_entropy_bits + 1
    for n in ("1", "2", "3", "4"):
        assert four_envs.distinct_n[n] > one_env.distinct_n[n]
    assert four_envs.ngram_diversity > 1.5 * one_env.ngram_diversity
    # the same tasks (same seed), with mistakes: the same instructions, more tool sequences
    assert with_mistakes.distinct_n == one_env.distinct_n
    assert with_mistakes.distinct_tool_sequences > one_env.distinct_tool_sequences


def test_a_uniform_sample_of_distinct_instructions_for_embeddings() -> None:
    acc = DiversityAccumulator(sample=8)
    data = generated(("support", 40))
    for trajectory in (*data, *data):
        acc.add(trajectory)
    sample = acc.sample()
    assert len(set(sample)) == 8
    assert set(sample) <= {t.task.instruction for t in data}
    assert DiversityAccumulator().sample() == []
