"""Every trainer format loads with Hugging Face ``datasets`` as trainers load it, offline, and its
values come back; where Arrow would corrupt them, the JSON-strings option keeps them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

from trajforge.formats.export import export_dataset
from trajforge.formats.export_options import ExportOptions

from .trajectories import read_rows

COLUMNS = {
    "openai-ft": ["messages", "tools"],
    "trl-sft": ["messages", "tools"],
    "dpo": ["prompt", "chosen", "rejected", "tools"],
    "prm": ["prompt", "completions", "labels"],
    "kto": ["prompt", "completion", "label", "tools"],
}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The ``datasets`` library, kept off the network and out of the home directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
        module = importlib.import_module("datasets")
        module.disable_progress_bars()
        yield module


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("openai-ft", ExportOptions()),
        ("trl-sft", ExportOptions()),
        ("trl-sft", ExportOptions(json_strings=True)),
        ("dpo", ExportOptions()),
        ("prm", ExportOptions()),
        ("kto", ExportOptions(kto_unit="step")),
    ],
)
def test_a_dataset_directory_loads_with_its_columns_and_values(
    datasets: ModuleType, branched_file: Path, tmp_path: Path, name: str, options: ExportOptions
) -> None:
    result = export_dataset(name, str(branched_file), str(tmp_path / "ds"), options=options)
    loaded = datasets.load_dataset(str(tmp_path / "ds"), split="train", cache_dir=str(tmp_path))
    assert loaded.column_names == COLUMNS[name]
    assert loaded.num_rows == result.written.count > 0
    assert loaded.to_list() == read_rows(result.target.data)


def test_arrow_fills_missing_argument_keys_with_nulls_and_json_strings_prevent_it(
    datasets: ModuleType, branched_file: Path, tmp_path: Path
) -> None:
    nested = export_dataset("trl-sft", str(branched_file), str(tmp_path / "nested.jsonl"))
    rows = read_rows(nested.target.data)
    through_arrow = datasets.Dataset.from_list(rows).to_list()
    calls = [c for row in through_arrow for m in row["messages"] for c in m["tool_calls"] or ()]
    invented = [c for c in calls if None in c["function"]["arguments"].values()]
    assert invented, "Arrow gave every call the union of all calls' argument keys"
    assert through_arrow != rows

    text = export_dataset(
        "trl-sft",
        str(branched_file),
        str(tmp_path / "text.jsonl"),
        options=ExportOptions(json_strings=True),
    )
    text_rows = read_rows(text.target.data)
    kept = datasets.Dataset.from_list(text_rows).to_list()
    arguments = [
        json.loads(c["function"]["arguments"])
        for row in kept
        for m in row["messages"]
        for c in m["tool_calls"] or ()
    ]
    original = [
        c["function"]["arguments"]
        for row in rows
        for m in row["messages"]
        for c in m.get("tool_calls", ())
    ]
    assert arguments == original
    assert [json.loads(row["tools"]) for row in kept] == [row["tools"] for row in rows]


def test_a_tokenized_export_loads_as_a_directory_and_as_a_parquet_file(
    datasets: ModuleType, branched_file: Path, tools_tokenizer: Path, tmp_path: Path
) -> None:
    columns = ["trajectory_id", "sample", "input_ids", "assistant_masks", "labels"]
    options = {"tokenizer": str(tools_tokenizer)}
    folder = export_dataset(
        "tokenized", str(branched_file), str(tmp_path / "ds"), writer_options=options
    )
    file = export_dataset(
        "tokenized", str(branched_file), str(tmp_path / "t.parquet"), writer_options=options
    )
    expected = pq.read_table(file.target.data).to_pylist()
    assert folder.target.data.read_bytes() == file.target.data.read_bytes()
    from_folder = datasets.load_dataset(
        str(tmp_path / "ds"), split="train", cache_dir=str(tmp_path)
    )
    from_file = datasets.load_dataset(
        "parquet", data_files=str(file.target.data), split="train", cache_dir=str(tmp_path)
    )
    for loaded in (from_folder, from_file):
        assert loaded.column_names == columns
        assert loaded.num_rows == file.written.count > 0
        assert loaded.to_list() == expected
