"""``trajforge export tokenized``: generated and graded runs to token ids and loss masks in a
dataset directory or a Parquet file with its card, through the export's own options."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.conftest import Outcome
from tests.formats.tokenizer_files import CHATML_TURN, Row, assert_labels, trained_texts
from tests.smollm2 import smollm2_gguf
from trajforge.errors import ConfigError
from trajforge.formats.export import ExportResult, export_dataset
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import mistakes
from trajforge.formats.tokenizing.sources import load_tokenizer
from trajforge.schema import Trajectory


def export(source: Path, dest: Path, tokenizer: Path, **options: Any) -> ExportResult:
    return export_dataset(
        "tokenized", str(source), str(dest), writer_options={"tokenizer": str(tokenizer), **options}
    )


def read(path: Path) -> list[Row]:
    rows: list[Row] = pq.read_table(path).to_pylist()
    return rows


def by_trajectory(rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["trajectory_id"]].append(row)
    return grouped


@pytest.fixture(scope="module")
def unmasked(
    branched_file: Path, tools_tokenizer: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ExportResult, list[Row]]:
    """The branched runs exported with every step trained, as a dataset directory."""
    dest = tmp_path_factory.mktemp("unmasked") / "ds"
    result = export(branched_file, dest, tools_tokenizer, mask_mistakes=False)
    return result, read(result.target.data)


def test_a_dataset_directory_holds_parquet_and_a_card_naming_it(
    unmasked: tuple[ExportResult, list[Row]], branched: list[Trajectory], tools_tokenizer: Path
) -> None:
    result, rows = unmasked
    directory = result.target.card.parent
    assert result.target.data == directory / "data" / "train.parquet"
    assert len(rows) == result.written.count == len(branched)  # one sample each, no limit
    card = result.target.card.read_text(encoding="utf-8")
    assert '    path: "data/train.parquet"' in card
    assert f"| tokenizer | {tools_tokenizer} |" in card
    assert "| mask_mistakes | False |" in card
    tokens = sum(len(row["input_ids"]) for row in rows)
    trained = sum(sum(row["assistant_masks"]) for row in rows)
    assert f"| tokens | {tokens:,} |" in card
    assert f"| trained tokens | {trained:,} |" in card
    assert 0 < trained < tokens
    assert result.written.details == {"tokens": tokens, "trained tokens": trained}


def test_every_masked_span_decodes_to_exactly_an_assistant_turn(
    unmasked: tuple[ExportResult, list[Row]], branched: list[Trajectory], tools_tokenizer: Path
) -> None:
    _, rows = unmasked
    decode = load_tokenizer(str(tools_tokenizer)).decode
    steps = {trajectory.id: len(trajectory.steps) for trajectory in branched}
    for row in rows:
        turns = CHATML_TURN.findall(decode(row["input_ids"]))
        assert trained_texts(decode, row) == turns
        assert len(turns) == steps[row["trajectory_id"]]
        assert_labels(row)


def test_mistaken_steps_are_untrained_by_default(
    unmasked: tuple[ExportResult, list[Row]],
    branched: list[Trajectory],
    branched_file: Path,
    tools_tokenizer: Path,
    tmp_path: Path,
) -> None:
    _, every = unmasked
    result = export(branched_file, tmp_path / "masked.parquet", tools_tokenizer)
    masked = {row["trajectory_id"]: row for row in read(result.target.data)}
    decode = load_tokenizer(str(tools_tokenizer)).decode
    marked = 0
    for row in every:
        trajectory = next(t for t in branched if t.id == row["trajectory_id"])
        marks = mistakes(trajectory, ExportOptions())
        marked += sum(marks)
        kept = [
            turn for turn, bad in zip(trained_texts(decode, row), marks, strict=True) if not bad
        ]
        if not kept:
            assert row["trajectory_id"] not in masked  # nothing left to train
            continue
        assert masked[row["trajectory_id"]]["input_ids"] == row["input_ids"]
        assert trained_texts(decode, masked[row["trajectory_id"]]) == kept
    assert marked > 0, "the generator injected mistakes and the rules labelled them"
    assert result.target.card == tmp_path / "masked.parquet.card.md"


def test_split_windows_hold_whole_steps_and_train_each_turn_once(
    unmasked: tuple[ExportResult, list[Row]],
    branched_file: Path,
    tools_tokenizer: Path,
    tmp_path: Path,
) -> None:
    _, every = unmasked
    decode = load_tokenizer(str(tools_tokenizer)).decode
    # room for the longest preamble (the policy, the tools) and half the longest conversation
    preamble = max(row["assistant_masks"].index(1) for row in every)
    limit = preamble + (max(len(row["input_ids"]) for row in every) - preamble) // 2
    result = export(
        branched_file,
        tmp_path / "split.parquet",
        tools_tokenizer,
        max_length=limit,
        overflow="split",
        mask_mistakes=False,
    )
    windows = by_trajectory(read(result.target.data))
    assert sum(len(w) for w in windows.values()) > len(every)  # some were split
    for row in every:
        parts = windows[row["trajectory_id"]]
        assert [part["sample"] for part in parts] == list(range(len(parts)))
        assert all(len(part["input_ids"]) <= limit for part in parts)
        if len(row["input_ids"]) <= limit:
            assert parts == [row]
        turns = [turn for part in parts for turn in trained_texts(decode, part)]
        assert turns == trained_texts(decode, row)  # every step fits a window here
        for part in parts:  # a window ends where a step ends: after a turn or a tool result
            text = decode(part["input_ids"])
            assert text.endswith("<|im_end|>\n")
            assert trained_texts(decode, part) == CHATML_TURN.findall(text)


def test_a_gguf_file_gives_the_tokenizer_and_template(branched_file: Path, tmp_path: Path) -> None:
    gguf = smollm2_gguf()
    result = export(branched_file, tmp_path / "smol", gguf, mask_mistakes=False)
    rows = read(result.target.data)
    decode = load_tokenizer(str(gguf)).decode
    assert rows
    for row in rows:
        assert trained_texts(decode, row) == CHATML_TURN.findall(decode(row["input_ids"]))
        assert_labels(row)


def test_writer_options_the_format_does_not_take_are_refused(
    branched_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="the openai-ft export has no option --max-length") as e:
        export_dataset(
            "openai-ft",
            str(branched_file),
            str(tmp_path / "x.jsonl"),
            writer_options={"max_length": 9},
        )
    assert e.value.path == "--max-length"
    assert e.value.hint == "it takes the export options alone"
    assert not list(tmp_path.iterdir())


def test_the_command_takes_the_tokenized_options(
    trajforge: Callable[..., Outcome],
    unmasked: tuple[ExportResult, list[Row]],
    branched_file: Path,
    tools_tokenizer: Path,
    tmp_path: Path,
) -> None:
    result, rows = unmasked
    done = trajforge(
        "export", "tokenized", branched_file, tmp_path / "ds", "--tokenizer", tools_tokenizer,
        "--no-mask-mistakes",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert f"wrote {len(rows)} tokenized rows from {len(rows)} trajectories" in done.stdout
    assert "trained tokens:" in done.stdout
    data = tmp_path / "ds" / "data" / "train.parquet"
    assert data.read_bytes() == result.target.data.read_bytes()
    too_long = trajforge(
        "export", "tokenized", branched_file, tmp_path / "none.parquet",
        "--tokenizer", tools_tokenizer, "--max-length", "5", "--overflow", "split",
    )  # fmt: skip
    assert too_long.code == 1
    assert "no sample (texts left out: longer than max_length (overflow=split)" in too_long.stderr
    no_tokenizer = trajforge("export", "tokenized", branched_file, tmp_path / "t.parquet")
    assert no_tokenizer.code == 1
    assert "missing required field 'tokenizer'" in no_tokenizer.stderr
    wrong = trajforge(
        "export", "kto", branched_file, tmp_path / "k.jsonl", "--tokenizer", tools_tokenizer
    )
    assert wrong.code == 1
    assert "the kto export has no option --tokenizer" in wrong.stderr
