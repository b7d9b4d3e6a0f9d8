"""``trajforge generate``: environments x agents x mistakes x faults, sharded and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trajforge.cli.common import err, out
from trajforge.cli.engine_options import EngineOption, RayAddressOption
from trajforge.engine import engine_in_force
from trajforge.errors import ConfigError, TrajforgeError

if TYPE_CHECKING:
    from trajforge.envs.approval import Approver
    from trajforge.run.runner import Progress as RunProgress
    from trajforge.run.spec import RunSpec


def generate(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output directory (resumes if it exists).")
    ],
    config: Annotated[
        Path | None, typer.Option(help="A TOML run config (mixes); flags below are then ignored.")
    ] = None,
    env: Annotated[str, typer.Option(help="Environment.")] = "support",
    tasks: Annotated[int, typer.Option(help="Episodes to generate.", min=0)] = 100,
    agent: Annotated[str, typer.Option(help="expert or llm.")] = "expert",
    mistakes: Annotated[
        float, typer.Option(help="Share of decisions made wrong.", min=0, max=1)
    ] = 0.0,
    recover: Annotated[
        bool, typer.Option(help="Let the agent notice mistakes and recover.")
    ] = True,
    faults: Annotated[
        str, typer.Option(help="Fault profile: none, flaky, drift, hostile.")
    ] = "none",
    difficulty: Annotated[int | None, typer.Option(help="Only this level.")] = None,
    user: Annotated[str, typer.Option(help="Simulated user: scripted or llm.")] = "scripted",
    seed: Annotated[int, typer.Option(help="Seed of the whole run.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Episodes in flight.", min=1)] = 8,
    shard_size: Annotated[int, typer.Option(help="Episodes per shard.", min=1)] = 1000,
    data_format: Annotated[
        str, typer.Option("--format", help="jsonl, jsonl.gz, jsonl.zst, parquet.")
    ] = "jsonl.zst",
    max_steps: Annotated[int, typer.Option(help="Step budget per episode.", min=1)] = 50,
    max_tokens: Annotated[int | None, typer.Option(help="Token budget per episode.")] = None,
    max_seconds: Annotated[float | None, typer.Option(help="Wall-time budget per episode.")] = None,
    branch_at: Annotated[
        list[int] | None, typer.Option(help="Fork episodes at this step (repeatable).")
    ] = None,
    branches: Annotated[int, typer.Option(help="Forks per branch point.", min=0)] = 0,
    endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL for --agent llm.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name at the endpoint.")] = None,
    request_timeout: Annotated[
        float, typer.Option(help="Seconds one attempt at the endpoint may take.", min=0.01)
    ] = 60.0,
    request_deadline: Annotated[
        float, typer.Option(help="Seconds one request may take, retries and waits included.", min=1)
    ] = 180.0,
    max_retries: Annotated[
        int, typer.Option(help="Retries of a request that failed (429, 5xx, time-out...).", min=0)
    ] = 5,
    retry_backoff: Annotated[
        float, typer.Option(help="Seconds before a first retry, doubled for each next one.", min=0)
    ] = 0.5,
    approver: Annotated[
        str,
        typer.Option(
            help="none, or review: calls the environment's policy reserves to a human wait for "
            "a decision in the review workspace (--review-db)."
        ),
    ] = "none",
    review_db: Annotated[
        str, typer.Option(help="The review workspace's database, for --approver review.")
    ] = "review.db",
    review_project: Annotated[
        str, typer.Option(help="The workspace project the approvals go to.")
    ] = "live approvals",
    approval_timeout: Annotated[
        float,
        typer.Option(help="Seconds a call waits for a decision; then it is denied.", min=0.1),
    ] = 600.0,
    trip_after: Annotated[
        int,
        typer.Option(
            help="Failed requests in a row (after their retries) that take the endpoint for "
            "down and stop the run, resumably.",
            min=1,
        ),
    ] = 5,
    engine: EngineOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Generate trajectories: environments x agents x mistakes x faults, sharded and resumable."""
    from trajforge.cli.interrupt import on_interrupt
    from trajforge.run.spec import load_run_config, spec_from_flags

    if config is not None:
        spec = load_run_config(config)
    else:
        llm = None
        if endpoint:
            llm = {
                "base_url": endpoint,
                "model": model or "default",
                "timeout_s": request_timeout,
                "deadline_s": request_deadline,
                "max_retries": max_retries,
                "backoff_s": retry_backoff,
                "trip_after": trip_after,
            }
        raw = {
            "mix": [
                {
                    "env": env,
                    "tasks": tasks,
                    "agent": agent,
                    "mistakes": mistakes,
                    "recover": recover,
                    "faults": faults,
                    "difficulty": difficulty,
                    "user": user,
                }
            ],
            "seed": seed,
            "concurrency": concurrency,
            "shard_size": shard_size,
            "format": data_format,
            "branch_at": branch_at or [],
            "branches": branches,
            "budget": {
                "max_steps": max_steps,
                "max_tokens": max_tokens,
                "max_seconds": max_seconds,
            },
            "llm": llm,
        }
        spec = spec_from_flags(raw)
    with (
        on_interrupt(lambda: "rerun the same command to resume"),
        engine_in_force(engine, ray_address),
    ):
        run_generation(
            spec, out_dir, approver=_approver(approver, review_db, review_project, approval_timeout)
        )


def _approver(kind: str, db: str, project: str, timeout_s: float) -> Approver | None:
    """Who approves the calls that need a human (``--approver``)."""
    if kind == "none":
        return None
    if kind != "review":
        raise ConfigError(f"unknown approver {kind!r}", path="--approver", hint="none or review")
    try:
        from trajforge.review.approvals import ReviewApprover
    except ImportError as exc:
        raise ConfigError(
            f"--approver review needs the review extra ({exc.name} is missing)",
            hint="pip install 'trajforge[review]'",
        ) from None
    return ReviewApprover(db, project, timeout_s=timeout_s)


def run_generation(spec: RunSpec, out_dir: Path, *, approver: Approver | None = None) -> None:
    """Run a generation with a progress bar, then report what it wrote (also when Ctrl-C or
    SIGTERM stops it: what is done stays, for a later run to resume)."""
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from trajforge.cli.interrupt import on_interrupt
    from trajforge.run.llm_hooks import llm_hooks
    from trajforge.run.runner import ERRORS_NAME, Runner

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[success]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        task_id = bar.add_task("run", total=spec.total, rate="", success="")

        def show(p: RunProgress) -> None:
            fresh = p.done
            rate = f"{fresh / p.elapsed_s:,.1f} ep/s" if p.elapsed_s > 0 and fresh else ""
            share = f"success {p.successes / fresh:.0%}" if fresh else ""
            share += f" [red]{p.errors:,} failed[/]" if p.errors else ""
            bar.update(task_id, completed=p.done + p.resumed, rate=rate, success=share)

        runner = Runner(spec, out_dir, on_progress=show, llm_hooks=llm_hooks(), approver=approver)
        with on_interrupt(lambda: _done(runner.progress, out_dir)):
            result = asyncio.run(runner.run())
    errors = out_dir / ERRORS_NAME
    out.print(
        _done(result, out_dir)
        + (f"; [red]{result.errors:,} failed episodes (see {errors})[/]" if result.errors else "")
        + (f"; {result.pending - result.errors:,} not started" if result.stopped else "")
    )
    if result.pending:  # an episode missing is not a success, however many others came out
        raise TrajforgeError(
            f"the run stopped early: {result.stopped}"
            if result.stopped
            else f"{result.errors:,} episodes failed",
            hint=f"{result.pending:,} episodes are left pending: running the same command "
            f"again resumes the run and retries them (why each failed: {errors})",
        )


def _done(progress: RunProgress, out_dir: Path) -> str:
    return (
        f"{progress.done:,} episodes generated, {progress.resumed:,} resumed; "
        f"{progress.trajectories:,} trajectories in {out_dir}"
    )
