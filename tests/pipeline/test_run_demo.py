"""``trajforge demo --small``: the demo pipeline, reduced, produces every output; each export
loads with ``datasets.load_dataset``; the data show what the demo promises (five environments,
mistakes, faults, branches, rule and rollout labels, dedup, redaction, a balanced mix)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Outcome
from tests.formats.test_export_datasets import datasets  # noqa: F401 - the fixture
from tests.report.page import SECTIONS, missing, sections
from tests.smollm2 import smollm2_gguf
from trajforge.agents.local_server import SMOLLM2_ALIAS
from trajforge.demo import LLM_TASKS
from trajforge.io import read_trajectories
from trajforge.pipeline.run_pipeline_state import StageState, load_state

ENVIRONMENTS = {"support", "itops", "scheduling", "web", "dataops"}
COLUMNS = {
    "sft": {"messages", "tools"},
    "dpo": {"prompt", "chosen", "rejected", "tools"},
    "prm": {"prompt", "completions", "labels"},
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The reduced demo, run once as a user runs it."""
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "trajforge", "demo", "--small", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    return out, done


def finished(out: Path, stage: str) -> StageState:
    state = load_state(out / stage)
    assert state is not None, stage
    assert state.complete, stage
    return state


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_each_export_loads_with_datasets(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
    datasets: ModuleType,  # noqa: F811 - the fixture imported above
    name: str,
    tmp_path: Path,
) -> None:
    out, _ = demo
    rows = finished(out, "05-export").counts[f"{name}.rows"]
    folder = out / "05-export" / name
    loaded = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path))
    assert len(loaded) == rows > 0
    assert COLUMNS[name] <= set(loaded.column_names)


def test_the_data_show_what_the_demo_promises(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = demo
    generated = list(read_trajectories(out / "01-generate" / "data"))
    assert {t.task.environment for t in generated} == ENVIRONMENTS
    assert any(t.provenance.parent_id for t in generated)  # branches at decision points
    assert any(s.faults for t in generated for s in t.steps)  # the flaky profile
    graded = read_trajectories(out / "03-grade" / "data")
    sources = Counter(label.source.kind for t in graded for s in t.steps for label in s.labels)
    assert sources["rule"]
    assert sources["rollout"]
    assert sources["generator"]  # the injected mistakes
    curate = finished(out, "04-curate")
    assert curate.counts["written"] > 0
    report = (out / "04-curate" / "data.curation.json").read_text()
    for step in ('"dedup"', '"redact"', '"balance"'):
        assert step in report
    curated = Counter(t.task.environment for t in read_trajectories(out / "04-curate" / "data"))
    assert set(curated) == ENVIRONMENTS
    assert max(curated.values()) - min(curated.values()) <= 1  # an equal mix


def test_the_demo_ends_with_its_report(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, done = demo
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    finished(out, "06-report")
    found = sections(out / "06-report" / "report.html")
    assert list(found) == list(SECTIONS)
    # what the demo has no input for: a reference dataset, an audit, human labels
    unavailable = {"drift", "audit", "agreement"}
    for name, section in found.items():
        assert bool(missing(section)) == (name in unavailable), (name, missing(section))


def test_with_llm_says_what_to_install_when_the_server_is_missing(
    trajforge: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name)
    )
    result = trajforge("demo", "--with-llm", "--small", "--out", tmp_path / "demo")
    assert result.code == 1
    assert "a local model needs llama_cpp" in result.stderr
    assert "pip install 'trajforge[llm-test]'" in result.stderr
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_with_llm_adds_the_local_models_episodes(tmp_path: Path) -> None:
    smollm2_gguf()  # skipped, saying why, without the llm-test extra
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "trajforge", "demo", "--small", "--with-llm", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    generated = list(read_trajectories(out / "01-generate" / "data"))
    models = Counter(t.provenance.generator.model for t in generated if t.provenance.generator)
    assert models[SMOLLM2_ALIAS] >= LLM_TASKS
    assert (out / "06-report" / "report.html").is_file()
    assert not (tmp_path / "demo.llama-server.log").read_text().count("Traceback")
