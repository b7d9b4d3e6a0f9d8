"""Every example pipeline in ``examples/`` runs as shipped (``trajforge run``), each export has
rows, and the LLM-agent example runs against a real local llama.cpp server with SmolLM2.

``examples/demo.toml`` is the config of ``trajforge demo``, run by tests/pipeline/test_run_demo.py;
``examples/curate.toml`` is a curation config, run by the curation tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trajforge.agents.local_server import SMOLLM2_ALIAS
from trajforge.io import read_trajectories
from trajforge.pipeline.run_pipeline_state import StageState, load_state

EXAMPLES = Path(__file__).parents[2] / "examples"
#: Each example, and what makes it smaller for a test (the rest runs as shipped).
OFFLINE = {
    "import-curate.toml": (),
    "tool-balance.toml": (),
    "branched-sft-dpo-prm.toml": ("--set", "grade.rollouts=1"),
}
PIPELINES = {"demo.toml", "llm-agent.toml", *OFFLINE}


def run_example(name: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajforge", "run", str(EXAMPLES / name), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def exported(out: Path) -> StageState:
    """The export stage's record, which must be complete with rows in every dataset."""
    state = load_state(out / "05-export")
    assert state is not None
    assert state.complete
    rows = {key: n for key, n in state.counts.items() if key.endswith(".rows")}
    assert rows
    assert all(rows.values()), rows
    for folder in state.done:
        assert (out / "05-export" / folder / "README.md").is_file()
    return state


def test_every_pipeline_example_is_tested() -> None:
    shipped = {p.name for p in EXAMPLES.glob("*.toml")} - {"curate.toml"}
    assert shipped == PIPELINES


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, str]]:
    """Each offline example, run once: its run directory, exit status and stderr."""
    done = {}
    for name, args in OFFLINE.items():
        out = tmp_path_factory.mktemp(name.removesuffix(".toml")) / "run"
        result = run_example(name, out, *args)
        done[name] = (out, result.returncode, result.stderr)
    return done


@pytest.mark.parametrize("name", sorted(OFFLINE))
def test_an_example_exports_its_datasets(runs: dict[str, tuple[Path, int, str]], name: str) -> None:
    out, _, stderr = runs[name]
    assert load_state(out / "05-export") is not None, stderr
    exported(out)


@pytest.mark.parametrize("name", sorted(OFFLINE))
def test_an_example_ends_with_its_report(runs: dict[str, tuple[Path, int, str]], name: str) -> None:
    out, code, stderr = runs[name]
    assert code == 0, stderr
    assert (out / "06-report" / "report.html").is_file()


def test_the_import_example_reads_the_shipped_fixture(
    runs: dict[str, tuple[Path, int, str]],
) -> None:
    out, _, _ = runs["import-curate.toml"]
    imported = load_state(out / "01-import")
    assert imported is not None
    assert imported.counts == {"imported": 9, "quarantined": 0}  # the fixture's 9 results


@pytest.fixture
def server(smollm2_server: str) -> str:
    """The session's llama.cpp server with SmolLM2-135M on loopback (tests/conftest.py)."""
    return smollm2_server


@pytest.mark.slow
def test_the_llm_example_runs_against_a_local_model(server: str, tmp_path: Path) -> None:
    small = ["generate.tasks=2", "generate.budget.max_steps=3", "generate.llm.max_tokens=48",
             'generate.llm.tool_mode="prompt"', f"generate.llm.model={SMOLLM2_ALIAS}",
             f"generate.llm.base_url={server}"]  # fmt: skip
    result = run_example("llm-agent.toml", tmp_path, *(f"--set={s}" for s in small))
    assert load_state(tmp_path / "05-export") is not None, result.stderr
    generated = list(read_trajectories(tmp_path / "01-generate" / "data"))
    models = {t.provenance.generator.model for t in generated if t.provenance.generator}
    assert SMOLLM2_ALIAS in models
    exported(tmp_path)
