"""The dataset card every export writes: counts, mixes, provenance, licences, options."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec

from trajforge.formats.export import export_dataset
from trajforge.formats.export_options import ExportOptions
from trajforge.io import write_trajectories
from trajforge.schema import Trajectory

from .trajectories import reply, trajectory


def _front_matter(card: str) -> str:
    assert card.startswith("---\n")
    return card.split("---\n")[1]


def test_a_dataset_directory_gets_a_card_naming_its_data_and_what_went_in(
    branched: list[Trajectory], branched_file: Path, tmp_path: Path
) -> None:
    options = ExportOptions(margin=0.2)
    result = export_dataset("dpo", str(branched_file), str(tmp_path / "ds"), options=options)
    assert result.target.data == tmp_path / "ds" / "data" / "train.jsonl"
    card = (tmp_path / "ds" / "README.md").read_text()
    front = _front_matter(card)
    assert 'path: "data/train.jsonl"' in front
    assert "license" not in front
    assert "- n<1K" in front
    steps = sum(len(t.steps) for t in branched)
    assert f"| trajectories read | {len(branched)} ({steps} steps) |" in card
    assert f"| rows written | {result.written.count} in `data/train.jsonl` |" in card
    for status, count in Counter(t.outcome.status for t in branched).items():
        assert f"| {status} | {count} |" in card
    assert f"| support | {len(branched)} |" in card
    assert f"| trajectories in trees (with a parent) | {3 * len(branched) // 4} |" in card
    assert "| generator: injected_mistake (mistake) |" in card
    assert "| rule: recovery (other) |" in card
    assert "No trajectory records a licence" in card
    assert "| margin | 0.2 |" in card
    for what, count in result.written.details.items():
        assert f"| {what} | {count} |" in card


def test_licences_found_are_listed_and_one_licence_is_the_cards(tmp_path: Path) -> None:
    runs = [trajectory(f"t{i}", reply("hi"), status="success") for i in range(3)]
    for run, licence in zip(runs, ("MIT", "MIT", "CC-BY-4.0"), strict=True):
        run.provenance.license = licence
    source = tmp_path / "runs.jsonl"
    write_trajectories(source, runs[:2])
    export_dataset("trl-sft", str(source), str(tmp_path / "one.jsonl"))
    card = (tmp_path / "one.jsonl.card.md").read_text()
    assert "license: mit" in _front_matter(card)
    assert "configs" not in _front_matter(card)
    write_trajectories(source, runs)
    export_dataset("trl-sft", str(source), str(tmp_path / "two.jsonl"))
    card = (tmp_path / "two.jsonl.card.md").read_text()
    assert "license: other" in _front_matter(card)
    assert "| MIT | 2 |" in card
    assert "| CC-BY-4.0 | 1 |" in card


def test_the_same_export_writes_the_same_bytes(branched_file: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        result = export_dataset("kto", str(branched_file), str(tmp_path / name))
        outputs.append((result.target.data.read_bytes(), result.target.card.read_bytes()))
    assert outputs[0] == outputs[1]
    assert msgspec.json.decode(outputs[0][0].splitlines()[0])["prompt"]
