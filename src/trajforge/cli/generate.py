"""``trajforge generate``: environments x agents x mistakes x faults, sharded and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trajforge.cli.common import err, out
from trajforge.errors import TrajforgeError

if TYPE_CHECKING:
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
) -> None:
    """Generate trajectories: environments x agents x mistakes x faults, sharded and resumable."""
    from trajforge.run.spec import LLMSpec, load_run_config, spec_from_flags

    if config is not None:
        spec = load_run_config(config)
    else:
        llm = LLMSpec(base_url=endpoint, model=model or "default") if endpoint else None
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
    run_generation(spec, out_dir)


def run_generation(spec: RunSpec, out_dir: Path) -> None:
    """Run a generation with a progress bar, then report what it wrote."""
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from trajforge.run.llm_hooks import llm_hooks
    from trajforge.run.runner import Progress as RunProgress
    from trajforge.run.runner import Runner

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
            bar.update(task_id, completed=p.done + p.resumed, rate=rate, success=share)

        result = asyncio.run(Runner(spec, out_dir, on_progress=show, llm_hooks=llm_hooks()).run())
    out.print(
        f"{result.done:,} episodes generated, {result.resumed:,} resumed; "
        f"{result.trajectories:,} trajectories in {out_dir}"
        + (
            f"; [red]{result.errors} failed episodes in {out_dir / 'errors.jsonl'}[/]"
            if result.errors
            else ""
        )
    )
    if result.errors:  # an episode lost is not a success, however many others came out
        raise TrajforgeError(
            f"{result.errors} episodes failed", hint=f"see {out_dir / 'errors.jsonl'}"
        )
