"""``trajforge curate`` with every step in one config, as a user runs it: over generated runs and
over an imported public sample, each with planted duplicates, evaluation tasks and personal data.

Checked: the funnel adds up (what came in is what was written plus each step's removals, step by
step, and the exclusion file says the same), each planted thing is removed by the step meant to
and for its reason, a step that passes records through changes none, the balance meets its mix,
``[audit]`` runs last although written first, and no planted value is left in the output, the
review queue, the reports or an export of the output.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import pytest

from tests.conftest import Outcome
from tests.curate.test_dedup import rephrased, rerun
from trajforge.curate.finding import KINDS
from trajforge.io import read_trajectories, write_trajectories
from trajforge.schema import ToolCall, ToolResult, Trajectory, TrajectoryDecoder, encode
from trajforge.testing.planted import canary, plant

Trajforge = Callable[..., Outcome]
ENVIRONMENTS = ("support", "itops", "scheduling", "dataops")  # "web" is filtered out
FIXTURE = Path(__file__).parents[1] / "fixtures/sharegpt_llamafactory/glaive_toolcall_en_demo.json"


class Curated(NamedTuple):
    """A curation run's files, read."""

    output: list[Trajectory]
    excluded: list[dict[str, Any]]
    report: dict[str, Any]
    steps: dict[str, dict[str, Any]]
    queue: list[dict[str, Any]]
    files: list[Path]  # every file the run and the export wrote


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def curate(trajforge: Trajforge, tmp: Path, source: Path, config: str, *extra: str) -> Curated:
    """``trajforge curate`` of ``source`` with ``config`` (``{out}`` in it: where the run
    writes) into ``tmp/out``, then ``trajforge export openai-ft`` of what it kept."""
    out = tmp / "out"
    out.mkdir()
    (tmp / "curate.toml").write_text(config.format(out=out, tmp=tmp))
    dest = out / "curated.jsonl"
    done = trajforge("curate", source, "--config", tmp / "curate.toml", "--out", dest, *extra)
    assert done.code == 0, done.stderr
    exported = trajforge("export", "openai-ft", dest, out / "export.jsonl")
    assert exported.code == 0, exported.stderr
    report = json.loads((out / "curated.jsonl.curation.json").read_text())
    return Curated(
        list(read_trajectories(dest)),
        lines(out / "curated.jsonl.excluded.jsonl"),
        report,
        {step["name"]: step for step in report["steps"]},
        lines(out / "queue.jsonl"),
        sorted(out.iterdir()),
    )


def check_funnel(run: Curated, given: int, order: list[str]) -> None:
    """What came in is what was written plus what each step removed, step by step; the
    exclusion file holds exactly the removals; ``[audit]`` ran last."""
    report, steps = run.report, run.report["steps"]
    assert [s["name"] for s in steps] == order
    assert steps[0]["seen"] == given - report["quarantined"]
    for before, after in pairwise(steps):
        assert after["seen"] == before["kept"]
    for step in steps:
        assert step["seen"] == step["kept"] + sum(step["removed"].values()), step["name"]
    removed = sum(sum(s["removed"].values()) for s in steps)
    assert given == report["written"] + removed + report["quarantined"]
    assert report["written"] == len(run.output) == steps[-1]["kept"]
    by_reason = Counter({(s["name"], r): n for s in steps for r, n in s["removed"].items()})
    assert Counter((e["step"], e["reason"]) for e in run.excluded) == by_reason
    kept = {t.id for t in run.output}
    assert not kept & {e["id"] for e in run.excluded if e["step"] != "dedup"}
    # the steps that only remove change nothing they keep; the audit passes all, unchanged
    for name in ("filter", "decontaminate", "dedup", "balance", "audit"):
        assert run.steps[name]["changed"] == 0, name
    assert run.steps["audit"]["kept"] == run.steps["audit"]["seen"]
    assert run.steps["redact"]["changed"] == run.steps["redact"]["report"]["changed"] > 0


def check_no_canary(run: Curated, canaries: list[str], *, excluded_too: bool) -> None:
    """No planted value in any file written (the exclusion file only if ``excluded_too``: it
    holds records as the step that removed them saw them), JSON-escaped or not."""
    assert len(run.files) >= 5
    for path in run.files:
        if path.name.endswith(".excluded.jsonl") and not excluded_too:
            continue
        text = path.read_text()
        for value in {*canaries, *(json.dumps(value)[1:-1] for value in canaries)}:
            assert value not in text, (path.name, value)
    # the queue holds trajectories as the output holds them: the audit ran last
    output = {t.id: msgspec.to_builtins(t) for t in run.output}
    for entry in run.queue:
        kept = output[entry["id"]]
        assert (entry["trajectory"]["task"], entry["trajectory"]["steps"]) == (
            kept["task"],
            kept["steps"],
        )


# -- generated runs ------------------------------------------------------------------------------

GENERATED_CONFIG = """\
seed = 3

[audit]                    # written first, runs last
queue = "{out}/queue.jsonl"
strata = ["environment", "outcome"]
per_stratum = 3

[filter]
[[filter.drop]]
why = "an environment we do not train on"
field = "task.environment"
eq = "web"
[[filter.drop]]
why = "unrecovered policy violation"
label = "policy_violation"
recovered = false

[decontaminate]
eval = "{tmp}/eval.jsonl"

[dedup]
exact = true
near = true

[balance]
[[balance.mix]]
field = "task.environment"
shares = {{ support = 0.25, itops = 0.25, scheduling = 0.25, dataops = 0.25 }}

[redact]
"""


class Planted(NamedTuple):
    """A stream with things planted in it, and what was planted."""

    stream: list[Trajectory]
    exact: dict[str, str]  # copy id -> original id
    near: dict[str, str]
    contaminated: list[str]
    canaries: list[str]
    echoed: dict[str, str]  # trajectory id -> an e-mail address in a call and a later result


def copy(trajectory: Trajectory) -> Trajectory:
    return TrajectoryDecoder().decode(encode(trajectory))


def with_canaries(
    trajectory: Trajectory, rng: random.Random, planted: list[str], echoed: dict[str, str]
) -> Trajectory:
    """A copy with a value of every kind in its tool results, and an e-mail address in its
    first call's arguments echoed by its last result."""
    out = copy(trajectory)
    calls = _calls(out)
    results = [o for s in out.steps for o in s.observations if isinstance(o, ToolResult)]
    for kind in KINDS:
        value = canary(kind, rng)
        result = rng.choice(results)
        result.content = plant(result.content, value, rng).content
        planted.append(value.value)
    address = canary("email", rng).value
    calls[0].arguments["cc"] = address
    results[-1].content += f"\nA copy went to {address}."
    planted.append(address)
    echoed[out.id] = address
    return out


@pytest.fixture(scope="module")
def planted_run(dataset: list[Trajectory]) -> Planted:
    """The 400 generated and graded episodes (``dataset``) with, planted: personal data in a
    third, exact and near copies of some, and the tasks of others in an evaluation set."""
    rng = random.Random(16)
    clean = [t for t in dataset if t.task.environment != "web" and not _violation(t)]
    canaries: list[str] = []
    echoed: dict[str, str] = {}
    stream = [
        with_canaries(t, rng, canaries, echoed) if i % 3 == 0 and _calls(t) else t
        for i, t in enumerate(dataset)
    ]
    by_id = {t.id: t for t in stream}
    originals = [by_id[t.id] for t in clean[:60:6]]
    evaluated = [t.id for t in clean[1:60:6]]
    exact = {f"copy-{t.id}": t.id for t in originals[:5]}
    near = {f"near-{t.id}": t.id for t in originals[5:]}
    stream += [rerun(t, f"copy-{t.id}") for t in originals[:5]]
    stream += [rephrased(t, f"near-{t.id}", score=0.0) for t in originals[5:]]
    return Planted(stream, exact, near, evaluated, canaries, echoed)


def _calls(trajectory: Trajectory) -> list[ToolCall]:
    return [a for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]


def _violation(trajectory: Trajectory) -> bool:
    return any(label.name == "policy_violation" for s in trajectory.steps for label in s.labels)


def test_every_step_over_generated_runs(
    trajforge: Trajforge, planted_run: Planted, dataset: list[Trajectory], tmp_path: Path
) -> None:
    source = tmp_path / "source.jsonl"
    write_trajectories(source, planted_run.stream)
    by_id = {t.id: t for t in dataset}
    evaluation = [
        msgspec.structs.replace(by_id[i], id=f"eval-{i}") for i in planted_run.contaminated
    ]
    write_trajectories(tmp_path / "eval.jsonl", evaluation)
    run = curate(trajforge, tmp_path, source, GENERATED_CONFIG)

    order = ["filter", "decontaminate", "dedup", "balance", "redact", "audit"]
    check_funnel(run, len(planted_run.stream), order)
    check_no_canary(run, planted_run.canaries, excluded_too=False)
    why = {e["id"]: (e["step"], e["reason"], e["detail"]) for e in run.excluded}
    filtered = {r for (s, r, _) in why.values() if s == "filter"}
    assert filtered == {"an environment we do not train on", "unrecovered policy violation"}
    for copy_id in planted_run.exact:
        assert why[copy_id][:2] == ("dedup", "exact duplicate")
    for copy_id, original in planted_run.near.items():
        assert why[copy_id][:2] == ("dedup", "near duplicate")
        assert why[copy_id][2]["representative"] == original  # the copy scored 0
    for trajectory_id in planted_run.contaminated:
        step, reason, detail = why[trajectory_id]
        assert (step, reason) == ("decontaminate", "contaminated")
        assert detail["eval_id"].startswith("eval-")
    hits = run.steps["decontaminate"]["report"]["hits"]
    assert {h["id"] for h in hits} >= set(planted_run.contaminated)
    # the mix within a percentage point of its shares
    mix = Counter(t.task.environment for t in run.output)
    assert set(mix) == set(ENVIRONMENTS)
    assert all(abs(n / len(run.output) - 0.25) <= 0.01 for n in mix.values())
    # one placeholder for one e-mail address, in the call and in the result that echoes it
    echoed = [t for t in run.output if t.id in planted_run.echoed]
    assert echoed
    for trajectory in echoed:
        placeholder = _calls(trajectory)[0].arguments["cc"]
        assert re.fullmatch(r"<EMAIL_\d+>", str(placeholder))
        assert f"A copy went to {placeholder}." in encode(trajectory).decode()
    # the review queue: the strata of the output, each sampled up to 3
    strata = Counter((t.task.environment, t.outcome.status) for t in run.output)
    queued = Counter((e["stratum"]["environment"], e["stratum"]["outcome"]) for e in run.queue)
    assert queued == {stratum: min(3, n) for stratum, n in strata.items()}


# -- an imported public sample -------------------------------------------------------------------

IMPORTED_CONFIG = """\
[audit]
queue = "{out}/queue.jsonl"
strata = ["source", "outcome"]
per_stratum = 2

[redact]                   # first, so that the exclusion file is redacted too

[filter]
[[filter.drop]]
length = "steps"
gt = 4

[decontaminate]
eval = "{tmp}/eval.jsonl"

[dedup]

[balance]
[[balance.mix]]
length = "tool_calls"
shares = {{ "0" = 0.4, "*" = 0.6 }}
"""


def test_every_step_over_an_imported_sample(trajforge: Trajforge, tmp_path: Path) -> None:
    """The first 30 records of LLaMA-Factory's glaive tool-calling demo (ShareGPT), with
    personal data and secrets written into its users' turns and tool results, one record
    twice, one reworded, and one's request in an evaluation set."""
    records = json.loads(FIXTURE.read_text())
    rng = random.Random(4)
    canaries: list[str] = []
    for record in records[:20]:
        for turn in record["conversations"]:
            if turn["from"] in ("human", "observation"):
                value = canary(rng.choice(KINDS), rng)
                turn["value"] = plant(turn["value"], value, rng).content
                canaries.append(value.value)
    reworded = json.loads(json.dumps(records[7]))
    reworded["conversations"][0]["value"] += " Thanks!"
    records += [records[5], reworded]
    source = tmp_path / "source.json"
    source.write_text(json.dumps(records))
    read = trajforge("import", "sharegpt", FIXTURE, tmp_path / "imported.jsonl")
    assert read.code == 0, read.stderr
    imported = list(read_trajectories(tmp_path / "imported.jsonl"))
    write_trajectories(tmp_path / "eval.jsonl", [imported[25]])
    run = curate(trajforge, tmp_path, source, IMPORTED_CONFIG, "--from", "sharegpt")

    order = ["redact", "filter", "decontaminate", "dedup", "balance", "audit"]
    check_funnel(run, len(records), order)
    check_no_canary(run, canaries, excluded_too=True)
    why = Counter((e["step"], e["reason"]) for e in run.excluded)
    assert why[("dedup", "exact duplicate")] == 1  # the record given twice: the same id twice
    assert why[("dedup", "near duplicate")] >= 1
    assert ("decontaminate", "contaminated") in why
    assert ("filter", "length of steps > 4") in why
    assert ("balance", "sampled out to meet the target mix") in why
    without_tools = sum(not _calls(t) for t in run.output)
    assert abs(without_tools - 0.4 * len(run.output)) <= 0.5  # as near as whole numbers allow
