"""``trajforge grade``: rule labels, Monte-Carlo rollouts, an LLM judge, and a score."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple, cast

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    VerifyHashesOption,
    finish_job,
    out,
    run_batch,
    start_job,
)
from trajforge.cli.engine_options import EngineOption, RayAddressOption
from trajforge.engine import engine_in_force

if TYPE_CHECKING:
    from trajforge.pipeline.stage import Stage


def grade(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[str, typer.Option("--out", help="Where to write the graded trajectories.")],
    rules: Annotated[
        str, typer.Option(help="'all', 'none' or comma-separated rule names.")
    ] = "all",
    rollouts: Annotated[
        int, typer.Option(help="Monte-Carlo continuations per step (0: off).", min=0)
    ] = 0,
    rollout_mistakes: Annotated[
        float, typer.Option(help="Mistake rate injected into the rollout policy.", min=0, max=1)
    ] = 0.1,
    rollout_endpoint: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible URL of a model that plays the continuations instead of the "
            "environment's expert (run in this process, its requests in flight together)."
        ),
    ] = None,
    rollout_model: Annotated[str, typer.Option(help="The rollout model's name.")] = "default",
    judge: Annotated[
        str | None, typer.Option("--judge", help="OpenAI-compatible URL of a judge model.")
    ] = None,
    judge_model: Annotated[str, typer.Option(help="The judge model's name.")] = "default",
    judge_output: Annotated[
        str,
        typer.Option(
            help="How the verdict is constrained: text (asked for in the prompt), json, schema "
            "(OpenAI structured outputs: OpenAI, vLLM, llama.cpp), llama-schema "
            "(llama-cpp-python's server)."
        ),
    ] = "text",
    judge_concurrency: Annotated[
        int,
        typer.Option(
            help="Judge requests in flight (a server that answers one at a time: 1).", min=1
        ),
    ] = 8,
    judge_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds one verdict may take once a --judge-concurrency slot is free: every "
            "request, retry, back-off wait and re-ask included (the server's own queue too).",
            min=1,
        ),
    ] = 60.0,
    api_key_env: Annotated[
        str,
        typer.Option(
            help="Environment variable holding the API key of the judge and rollout model."
        ),
    ] = "OPENAI_API_KEY",
    weights: Annotated[Path | None, typer.Option(help="TOML file with score weights.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes for the rules and the rollouts (--engine ray: tasks at once; "
            "default 1, or the cluster's CPUs).",
            min=1,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the rollouts.")] = 0,
    quarantine: QuarantineOption = None,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
    engine: EngineOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Label every step (rules, rollouts, an LLM judge) and score each trajectory in [0, 1]."""
    from trajforge.agents.clients import rollout_policy
    from trajforge.engine import get_engine
    from trajforge.grade import RuleGrader, read_weights, select_rules
    from trajforge.grade.aggregate import ScoreStage
    from trajforge.grade.process import ProcessLabelStage, make_options
    from trajforge.io import ReadChecks
    from trajforge.report.tables import label_table
    from trajforge.verify import LabelSummary

    # everything that can be wrong with the options fails here, before any work
    fmt = start_job(source, dest, from_format, ReadChecks(shard_hashes=verify_hashes))
    stages: list[Stage] = []
    if rules != "none":
        stages.append(RuleGrader(select_rules(rules)))
    score_weights = read_weights(weights) if weights else None
    if rollouts:
        policy = rollout_policy(rollout_endpoint, rollout_model, api_key_env)
        options = make_options(
            rollouts=rollouts, policy=policy, mistakes=rollout_mistakes, seed=seed
        )
        # a model's rollouts stay in this process, their requests in flight together
        local = None if policy == "expert" else get_engine("local")
        stages.append(
            ProcessLabelStage(options, workers=workers if local is None else 1, engine=local)
        )
    if judge:
        settings = JudgeSettings(
            judge, judge_model, judge_output, judge_concurrency, judge_timeout, api_key_env
        )
        stages.append(_judge(settings))
    stages.append(ScoreStage(score_weights))
    summary = LabelSummary(kinds=frozenset({"rule", "rollout", "judge"}))
    seen = [summary]
    with engine_in_force(engine, ray_address):
        job = run_batch(
            source, dest, stages, fmt=fmt, workers=workers, quarantine=quarantine, observers=seen
        )
    out.print(label_table(summary, title=f"grades of {source}"))
    finish_job(job, dest, "graded trajectories")


class JudgeSettings(NamedTuple):
    """The ``grade`` command's judge options."""

    url: str
    model: str
    output: str
    concurrency: int
    timeout_s: float
    api_key_env: str


def _judge(settings: JudgeSettings) -> Stage:
    """What judges a stream of trajectories with the ``grade`` command's judge options."""
    from trajforge.agents.clients import chat_client, ensure_ready
    from trajforge.grade.judge import Judge, JudgeOutput, JudgeStage

    client = chat_client(
        settings.url,
        settings.model,
        settings.api_key_env,
        option="--judge",
        what="the LLM judge",
        timeout_s=settings.timeout_s,
        deadline_s=settings.timeout_s,
    )
    # Judge refuses an unknown output form with a ConfigError naming the choices
    judge = Judge(
        client,
        concurrency=settings.concurrency,
        output=cast(JudgeOutput, settings.output),
        timeout_s=settings.timeout_s,
    )
    ensure_ready(client)
    return JudgeStage(judge)
