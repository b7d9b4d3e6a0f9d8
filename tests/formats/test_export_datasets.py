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


def _card_code(card: Path) -> str:
    """The Python the card gives for loading its data."""
    return card.read_text().split("```python\n")[1].split("```")[0]


def test_a_tau2_bench_export_is_one_results_file_loaded_as_its_card_says(
    datasets: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = Path(__file__).parents[1] / "fixtures" / "tau2_bench"
    airline, telecom = (
        export_dataset(
            "tau2-bench", str(samples / name), str(tmp_path / stem), from_format="tau2-bench"
        )
        for name, stem in (
            ("airline_tau3_whissle_run1.json", "airline"),
            ("telecom_gpt-4o_simulation.json", "telecom"),
        )
    )
    assert airline.target.data == tmp_path / "airline" / "data" / "train.json"
    simulations = json.loads(airline.target.data.read_text())["simulations"]
    loaded = datasets.load_dataset(
        str(tmp_path / "airline"), split="train", cache_dir=str(tmp_path)
    )
    assert loaded.num_rows == airline.written.count == len(simulations) == 5
    assert loaded["id"] == [s["id"] for s in simulations]
    assert loaded["messages"][0][0]["content"] == simulations[0]["messages"][0]["content"]
    # telecom's env assertions expect a boolean status in one simulation, text in another
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        datasets.load_dataset(str(tmp_path / "telecom"), split="train", cache_dir=str(tmp_path))
    monkeypatch.chdir(telecom.target.card.parent)
    scope: dict[str, object] = {}
    exec(_card_code(telecom.target.card), scope)
    rows = scope["dataset"].to_list()  # type: ignore[attr-defined]
    source = json.loads(telecom.target.data.read_text())["simulations"]
    assert [json.loads(row["json"]) for row in rows] == source


def test_a_tau_bench_export_is_one_json_array_that_loads_as_rows(
    datasets: ModuleType, tmp_path: Path
) -> None:
    sample = Path(__file__).parents[1] / "fixtures" / "tau_bench"
    result = export_dataset("tau-bench", str(sample), str(tmp_path / "ds"), from_format="tau-bench")
    assert result.target.data == tmp_path / "ds" / "data" / "train.json"
    results = json.loads(result.target.data.read_text())
    loaded = datasets.load_dataset(str(tmp_path / "ds"), split="train", cache_dir=str(tmp_path))
    assert loaded.num_rows == result.written.count == len(results) > 0
    assert loaded["task_id"] == [r["task_id"] for r in results]
