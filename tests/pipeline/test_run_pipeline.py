"""``trajforge run``: every stage in its folder through the stage runner, reruns that skip what is
done, settings changes that rerun what they touch, resume of an interrupted stage, the plan."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from tests.conftest import Outcome
from trajforge.io import read_trajectories
from trajforge.pipeline.run_pipeline_state import STATE_NAME, StageState, load_state

CONFIG = """
[generate]
seed = 3
shard_size = 4
branch_at = [1]
branches = 1
[[generate.mix]]
env = "support"
tasks = 4
mistakes = 0.3
faults = "flaky"
[[generate.mix]]
env = "dataops"
tasks = 3
mistakes = 0.3

[verify]
[grade]
rollouts = 1
seed = 3
[curate]
seed = 3
[curate.dedup]
exact = true
[[export]]
format = "openai-ft"
name = "sft"
[[export]]
format = "dpo"
margin = 0.0
"""
STAGES = ["01-generate", "02-verify", "03-grade", "04-curate", "05-export"]


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the stages' own records) by its sha256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in (STATE_NAME, "pipeline.json")
    }


def state(run: Path, stage: str) -> StageState:
    return msgspec.json.decode((run / stage / STATE_NAME).read_bytes(), type=StageState)


def statuses(result: Outcome) -> dict[str, str]:
    """Each stage's status in the command's closing table."""
    found = {}
    for name in ("generate", "verify", "grade", "curate", "export", "report"):
        for status in ("done before", "resumed", "ran", "skipped"):
            if f"{name} │ {status}" in result.stdout:
                found[name] = status
                break
    return found


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "pipe.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def run(config: Path, tmp_path: Path, trajforge: Callable[..., Outcome]) -> Callable[..., Outcome]:
    def go(*args: str) -> Outcome:
        result = trajforge("run", config, "--out", tmp_path / "run", *args)
        assert result.code == 0, result.stderr
        return result

    return go


def test_every_stage_writes_its_folder_through_the_stage_runner(
    run: Callable[..., Outcome], tmp_path: Path
) -> None:
    first = run()
    out = tmp_path / "run"
    assert statuses(first) == dict.fromkeys(
        ["generate", "verify", "grade", "curate", "export"], "ran"
    ) | {"report": "skipped"}
    for stage in STAGES:
        assert state(out, stage).complete
    graded = list(read_trajectories(out / "03-grade" / "data"))
    assert len(graded) == state(out, "01-generate").counts["trajectories"]
    for trajectory in graded:  # the runner recorded each stage in provenance, in order
        names = [s.name for s in trajectory.provenance.stages]
        assert names[-4:] == ["verify", "rules", "process_labels", "score"]
    kinds = {label.source.kind for t in graded for s in t.steps for label in s.labels}
    assert "rollout" in kinds
    curated = list(read_trajectories(out / "04-curate" / "data"))
    assert 0 < len(curated) <= len(graded)
    assert (out / "04-curate" / "data.curation.json").is_file()
    sft = (out / "05-export" / "sft" / "data" / "train.jsonl").read_text().splitlines()
    assert len(sft) == state(out, "05-export").counts["sft.rows"]
    dpo = (out / "05-export" / "dpo" / "data" / "train.jsonl").read_text().splitlines()
    assert {"prompt", "chosen", "rejected"} <= set(json.loads(dpo[0]))
    assert (out / "05-export" / "dpo" / "README.md").is_file()
    plan = json.loads((out / "pipeline.json").read_text())
    assert [s["name"] for s in plan["stages"]][:3] == ["generate", "verify", "grade"]


def test_a_rerun_skips_every_finished_stage(run: Callable[..., Outcome], tmp_path: Path) -> None:
    run()
    before = digests(tmp_path / "run")
    again = run()
    assert set(statuses(again).values()) == {"done before", "skipped"}
    assert digests(tmp_path / "run") == before


def test_a_changed_setting_reruns_its_stage_and_those_after(
    run: Callable[..., Outcome], tmp_path: Path
) -> None:
    run()
    changed = run("--set", "grade.rollouts=2")
    assert statuses(changed) == {
        "generate": "done before",
        "verify": "done before",
        "grade": "ran",
        "curate": "ran",
        "export": "ran",
        "report": "skipped",
    }
    graded = next(read_trajectories(tmp_path / "run" / "03-grade" / "data"))
    process = next(s for s in graded.provenance.stages if s.name == "process_labels")
    assert process.params["rollouts"] == 2


def test_from_stage_reruns_that_stage_and_what_follows(
    run: Callable[..., Outcome], tmp_path: Path
) -> None:
    run()
    before = digests(tmp_path / "run")
    again = run("--from-stage", "curate")
    assert statuses(again)["grade"] == "done before"
    assert statuses(again)["curate"] == "ran"
    assert statuses(again)["export"] == "ran"
    assert digests(tmp_path / "run") == before  # the same settings make the same bytes


def test_an_interrupted_stage_resumes_at_the_first_shard_it_had_not_finished(
    run: Callable[..., Outcome], tmp_path: Path
) -> None:
    run()
    out = tmp_path / "run"
    before = digests(out)
    grade = out / "03-grade"
    record = state(out, "03-grade")
    assert len(record.units) > 1
    kept, lost = record.units[0], record.units[-1]
    kept_mtime = (grade / "data" / kept.file).stat().st_mtime_ns
    # as a kill would leave it: the last shard not written, the stage not complete
    (grade / "data" / lost.file).unlink()
    (grade / "data" / "manifest.json").unlink()
    record.units.pop()
    record.complete = False
    (grade / STATE_NAME).write_bytes(msgspec.json.encode(record))
    resumed = run()
    assert statuses(resumed)["grade"] == "resumed"
    assert statuses(resumed)["curate"] == "ran"
    assert (grade / "data" / kept.file).stat().st_mtime_ns == kept_mtime
    assert digests(out) == before


def test_dry_run_prints_the_plan_and_runs_nothing(
    run: Callable[..., Outcome], tmp_path: Path
) -> None:
    planned = run("--dry-run")
    assert "01 generate │ run" in planned.stdout
    assert "06 report │ skip" in planned.stdout
    assert not (tmp_path / "run").exists()
    run()
    shutil.rmtree(tmp_path / "run" / "05-export")
    planned = run("--dry-run", "--set", "grade.rollouts=2")
    assert "02 verify │ skip (done)" in planned.stdout
    assert "03 grade │ run" in planned.stdout
    assert "05 export │ run" in planned.stdout


def test_a_folder_that_is_not_a_run_is_left_alone(
    config: Path, tmp_path: Path, trajforge: Callable[..., Outcome]
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = trajforge("run", config, "--out", tmp_path / "mine")
    assert result.code == 1
    assert "is not empty and holds no pipeline run" in result.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    unknown = trajforge("run", config, "--out", tmp_path / "r", "--from-stage", "judge")
    assert unknown.code == 1
    assert "no stage 'judge' in this pipeline" in unknown.stderr


def test_a_run_killed_in_a_stage_resumes_it_to_the_same_bytes(config: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "trajforge", "run", str(config), "--out", "run"]
    env = {**os.environ, "COLUMNS": "200"}

    def finish(cwd: Path) -> str:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return " ".join(done.stdout.split())

    (tmp_path / "whole").mkdir()
    finish(tmp_path / "whole")
    killed = tmp_path / "killed"
    killed.mkdir()
    process = subprocess.Popen(command, cwd=killed, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    grade = killed / "run" / "03-grade"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        record = load_state(grade)
        if record is not None and record.units and not record.complete:
            process.kill()  # SIGKILL: nothing gets to clean up
            break
        time.sleep(0.005)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert "grade │ resumed" in finish(killed)
    # the run directory's files name it by the same relative path: the same bytes
    assert digests(killed / "run") == digests(tmp_path / "whole" / "run")
