"""The ``trajforge`` command: one sub-command per stage, plus ``demo``."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterator
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, cast

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from trajforge import __version__
from trajforge.agents.base import Decision
from trajforge.agents.endpoint_url import check_base_url
from trajforge.agents.human import HELP, parse_command
from trajforge.agents.users import ScriptedUser
from trajforge.demo import demo_spec
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import ENVIRONMENTS, get_environment, get_spec
from trajforge.errors import ConfigError, TrajforgeError
from trajforge.formats.openai import record_to_trajectory, trajectory_to_record
from trajforge.grade import RuleGrader, load_weights, score_trajectory, select_rules
from trajforge.grade.process import PolicyChoice, label_stream
from trajforge.io import (
    BadRecord,
    Quarantine,
    check_destination,
    iter_lines,
    read_trajectories,
    resolve_paths,
    write_lines,
    write_trajectories,
)
from trajforge.io.pool import map_ordered
from trajforge.report.env_tables import (
    environment_details,
    environments_table,
    task_summary,
    tools_table,
)
from trajforge.report.stats import StatsAccumulator, compute_stats
from trajforge.report.tables import label_table, stats_table
from trajforge.report.transcript import observation_line, render_transcript
from trajforge.run.episode import EpisodeRecorder
from trajforge.run.llm_hooks import llm_hooks
from trajforge.run.runner import Progress as RunProgress
from trajforge.run.runner import Runner
from trajforge.run.spec import LLMSpec, RunSpec, load_run_config, spec_from_flags
from trajforge.schema import Generator, Trajectory, trajectory_json_schema
from trajforge.verify import LabelSummary, Verifier, VerifyOptions, verify_parallel

app = typer.Typer(
    name="trajforge",
    help="Simulate, generate, verify, grade, curate and export agent trajectories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

Format = Literal["trajforge", "openai"]


def _version(value: bool) -> None:
    if value:
        out.print(f"trajforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """trajforge: training data for LLM agents."""


@app.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of a trajectory record."""
    out.print_json(json.dumps(trajectory_json_schema()))


def _read_openai(source: str, on_error: Any) -> Iterator[Trajectory]:
    for path in resolve_paths(source):
        for line in iter_lines(path, on_error=on_error):
            location = f"{line.file}:{line.line}"
            try:
                yield record_to_trajectory(line.data, location=location)
            except TrajforgeError as exc:
                exc.located(file=line.file, line=line.line)
                if on_error is None:
                    raise
                on_error(BadRecord(file=line.file, line=line.line, error=str(exc), raw=line.data))


def _read(source: str, fmt: Format, on_error: Any) -> Iterator[Trajectory]:
    if fmt == "openai":
        return _read_openai(source, on_error)
    return read_trajectories(source, on_error=on_error)


def _default_quarantine(dest: str) -> Path:
    return Path(f"{dest.rstrip('/')}.quarantine.jsonl")


#: Where a batch command sets bad input records aside.
QuarantineOption = Annotated[
    Path | None,
    typer.Option(
        help="Where bad input records go (default: the output's path + .quarantine.jsonl)."
    ),
]


def _warn_skipped(bad: BadRecord) -> None:
    err.print(f"[yellow]skipped {escape(bad.describe())}[/]")


def _report_quarantine(sink: Quarantine) -> None:
    if sink.count:
        err.print(f"[yellow]{sink.count:,} bad records set aside in {escape(str(sink.path))}[/]")


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="File, glob or directory to read.")],
    dest: Annotated[
        str, typer.Argument(help="Output file (.jsonl[.gz|.zst], .parquet) or directory.")
    ],
    from_format: Annotated[
        str, typer.Option("--from", help="Input records: trajforge or openai ({messages, tools}).")
    ] = "trajforge",
    to_format: Annotated[
        str, typer.Option("--to", help="Output records: trajforge or openai.")
    ] = "trajforge",
    shard_size: Annotated[
        int, typer.Option(help="Records per shard when DEST is a directory.", min=1)
    ] = 10_000,
    quarantine: QuarantineOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad record instead of quarantining.")
    ] = False,
) -> None:
    """Convert between JSONL and Parquet, and from/to OpenAI chat records."""
    fmt_in = _check_format(from_format, "--from")
    fmt_out = _check_format(to_format, "--to")
    check_destination(dest, source, option="DEST")
    sink = Quarantine(quarantine or _default_quarantine(dest))
    with sink:
        records = _read(source, fmt_in, None if strict else sink.add)
        if fmt_out == "openai":
            lines = (msgspec.json.encode(trajectory_to_record(t)) for t in records)
            count = write_lines(dest, lines)
            files = 1
        else:
            result = write_trajectories(dest, records, shard_size=shard_size)
            count, files = result.count, len(result.paths)
    out.print(f"wrote {count:,} trajectories to {dest} ({files} file{'s' * (files != 1)})")
    _report_quarantine(sink)


def _check_format(value: str, option: str) -> Format:
    if value not in ("trajforge", "openai"):
        raise ConfigError(
            f"{option} {value!r} is not a known format", hint="use trajforge or openai"
        )
    return "openai" if value == "openai" else "trajforge"


@app.command()
def stats(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    from_format: Annotated[
        str, typer.Option("--from", help="Input records: trajforge or openai.")
    ] = "trajforge",
) -> None:
    """Counts, steps per trajectory, tool calls, status mix (records that cannot be read are
    counted apart, the first with its location)."""
    acc = StatsAccumulator()
    result = compute_stats(_read(path, _check_format(from_format, "--from"), acc.bad), acc)
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        out.print(stats_table(result, title=path))


@app.command()
def head(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    n: Annotated[int, typer.Option("-n", help="How many trajectories to show.", min=1)] = 1,
    trajectory_id: Annotated[str | None, typer.Option("--id", help="Show this id only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    max_chars: Annotated[int, typer.Option(help="Clip long texts to this many characters.")] = 400,
    from_format: Annotated[
        str, typer.Option("--from", help="Input records: trajforge or openai.")
    ] = "trajforge",
) -> None:
    """Pretty-print trajectories as step-by-step transcripts (records that cannot be read are
    skipped, each named on stderr with where it is and why)."""
    shown = 0
    for trajectory in _read(path, _check_format(from_format, "--from"), _warn_skipped):
        if trajectory_id is not None and trajectory.id != trajectory_id:
            continue
        if as_json:
            sys.stdout.write(msgspec.json.format(msgspec.json.encode(trajectory)).decode() + "\n")
        else:
            out.print(render_transcript(trajectory, max_chars=max_chars))
        shown += 1
        if shown >= n:
            break
    if shown == 0:
        what = f"no trajectory with id {trajectory_id!r}" if trajectory_id else "no trajectories"
        raise ConfigError(f"{what} in {path}")


def example_path() -> Path:
    """The bundled example: OpenAI-style chat records with tool calls."""
    return Path(str(resources.files("trajforge") / "data" / "example_chats.jsonl"))


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo outputs.")] = Path(
        "out/demo"
    ),
) -> None:
    """Run the main job end to end offline: generate, verify, grade, export, import."""
    generated = out_dir / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    out.rule("1. generate: every environment, its expert, 15% mistakes, flaky tools")
    _run_generation(demo_spec(), generated)
    out.rule("2. statistics")
    stats(str(generated), as_json=False, from_format="trajforge")
    out.rule("3. verify: schemas, call/result pairing, replay in the environment, outcomes")
    verified = out_dir / "verified.jsonl.zst"
    verify(str(generated), str(verified), replay=True, workers=1, quarantine=None)
    out.rule("4. grade: rule labels on every step and a score per trajectory")
    graded = out_dir / "graded.jsonl.zst"
    grade(
        str(verified),
        str(graded),
        rules="all",
        rollouts=0,
        rollout_mistakes=0.1,
        judge=None,
        judge_model="default",
        weights=None,
        workers=1,
        seed=0,
        quarantine=None,
    )
    out.rule("5. one graded trajectory, step by step")
    head(
        str(graded), n=1, trajectory_id=None, as_json=False, max_chars=300, from_format="trajforge"
    )
    out.rule("6. export for SFT as OpenAI chat records with tool calls")
    convert(
        str(graded),
        str(out_dir / "sft_chats.jsonl"),
        from_format="trajforge",
        to_format="openai",
        shard_size=10_000,
        quarantine=None,
        strict=True,
    )
    out.rule("7. import OpenAI chat records (the bundled example) to Parquet")
    convert(
        str(example_path()),
        str(out_dir / "imported.parquet"),
        from_format="openai",
        to_format="trajforge",
        shard_size=10_000,
        quarantine=None,
        strict=True,
    )


@app.command()
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
    _run_generation(spec, out_dir)


@app.command()
def verify(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[str, typer.Option("--out", help="Where to write the annotated trajectories.")],
    replay: Annotated[
        bool, typer.Option(help="Replay generated trajectories in their env.")
    ] = True,
    workers: Annotated[int, typer.Option(help="Processes (1: in this process).", min=1)] = 1,
    quarantine: QuarantineOption = None,
) -> None:
    """Check schemas, call/result pairing, replay and outcomes; label every problem found."""
    check_destination(dest, source)
    options = VerifyOptions(replay=replay)
    summary = LabelSummary()
    sink = Quarantine(quarantine or _default_quarantine(dest))
    with sink:
        records = read_trajectories(source, on_error=sink.add)
        if workers > 1:
            stream = verify_parallel(records, options, workers=workers)
        else:
            stream = Verifier(options).stream(records)
        result = write_trajectories(dest, summary.watch(stream))
    out.print(label_table(summary, title=f"verification of {source}"))
    out.print(f"wrote {result.count:,} annotated trajectories to {dest}")
    _report_quarantine(sink)


@app.command()
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
        float, typer.Option(help="Seconds a judge request may take, queueing included.", min=1)
    ] = 60.0,
    api_key_env: Annotated[
        str,
        typer.Option(
            help="Environment variable holding the API key of the judge and rollout model."
        ),
    ] = "OPENAI_API_KEY",
    weights: Annotated[Path | None, typer.Option(help="TOML file with score weights.")] = None,
    workers: Annotated[
        int, typer.Option(help="Processes for the rules and the rollouts.", min=1)
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the rollouts.")] = 0,
    quarantine: QuarantineOption = None,
) -> None:
    """Label every step (rules, rollouts, an LLM judge) and score each trajectory in [0, 1]."""
    # everything that can be wrong with the options fails here, before any work
    check_destination(dest, source)
    if rules != "none":
        select_rules(rules)
    score_weights = load_weights(_read_toml(weights), file=str(weights)) if weights else None
    policy = _rollout_policy(rollout_endpoint, rollout_model, api_key_env) if rollouts else None
    judged = None
    if judge:
        settings = JudgeSettings(
            judge, judge_model, judge_output, judge_concurrency, judge_timeout, api_key_env
        )
        judged = _judge(settings)
    summary = LabelSummary(kinds=frozenset({"rule", "rollout", "judge"}))
    sink = Quarantine(quarantine or _default_quarantine(dest))
    with sink:
        stream: Iterator[Trajectory] = read_trajectories(source, on_error=sink.add)
        if rules != "none":
            stream = map_ordered(RuleGrader(rules), stream, workers=workers)
        if policy is not None:
            stream = label_stream(
                stream,
                rollouts=rollouts,
                policy=policy,
                mistakes=rollout_mistakes,
                seed=seed,
                workers=workers if policy == "expert" else 1,
            )
        if judged is not None:
            stream = judged(stream)
        scored = (score_trajectory(t, score_weights) for t in stream)
        result = write_trajectories(dest, summary.watch(scored))
    out.print(label_table(summary, title=f"grades of {source}"))
    out.print(f"wrote {result.count:,} graded trajectories to {dest}")
    _report_quarantine(sink)


def _chat_client(
    url: str, model: str, api_key_env: str, *, option: str, what: str, timeout_s: float = 60.0
) -> Any:
    """A ``ChatClient`` for ``url`` (given by ``option``) with the key in ``$api_key_env``
    (``what`` needs the ``llm`` extra, the error says)."""
    check_base_url(url, path=option)
    try:
        from trajforge.agents.llm_client import ChatClient, api_key_from  # noqa: PLC0415
    except ImportError:
        raise ConfigError(
            f"{what} needs the 'llm' extra", hint="pip install 'trajforge[llm]'"
        ) from None
    return ChatClient(url, model, api_key=api_key_from(api_key_env), timeout_s=timeout_s)


def _ready(client: Any) -> None:
    """Check that a ``ChatClient``'s endpoint answers, before any work."""
    asyncio.run(client.preflight())


def _rollout_policy(url: str | None, model: str, api_key_env: str) -> PolicyChoice:
    """The environment's expert, or an LLM agent on ``url``."""
    if url is None:
        return "expert"
    client = _chat_client(
        url, model, api_key_env, option="--rollout-endpoint", what="rollouts by an LLM"
    )
    _ready(client)
    from trajforge.agents.llm import LLMAgentFactory  # noqa: PLC0415 - the extra is there

    return LLMAgentFactory(client)


class JudgeSettings(NamedTuple):
    """The ``grade`` command's judge options."""

    url: str
    model: str
    output: str
    concurrency: int
    timeout_s: float
    api_key_env: str


def _judge(settings: JudgeSettings) -> Callable[[Iterator[Trajectory]], Iterator[Trajectory]]:
    """What judges a stream of trajectories with the ``grade`` command's judge options."""
    client = _chat_client(
        settings.url,
        settings.model,
        settings.api_key_env,
        option="--judge",
        what="the LLM judge",
        timeout_s=settings.timeout_s,
    )
    from trajforge.grade.judge import Judge, JudgeOutput, judge_stream  # noqa: PLC0415

    # Judge refuses an unknown output form with a ConfigError naming the choices
    judge = Judge(
        client, concurrency=settings.concurrency, output=cast(JudgeOutput, settings.output)
    )
    _ready(client)
    return partial(judge_stream, judge=judge)


def _read_toml(path: Path | None) -> dict[str, Any] | None:
    """The score weights of a TOML file (a [weights] table, or the whole file)."""
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the weights: {exc}", file=str(path)) from None
    weights = data.get("weights", data)  # a [weights] table, or the whole file
    if not isinstance(weights, dict):
        raise ConfigError("weights must be a table", file=str(path), path="weights")
    return weights


def _run_generation(spec: RunSpec, out_dir: Path) -> None:
    """Run a generation with a progress bar, then report what it wrote."""
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


envs_app = typer.Typer(
    help="Simulated environments: list, inspect, sample tasks, play.", no_args_is_help=True
)
app.add_typer(envs_app, name="envs")


@envs_app.command("list")
def envs_list() -> None:
    """List the built-in environments."""
    out.print(environments_table(ENVIRONMENTS.items()))


@envs_app.command("show")
def envs_show(name: Annotated[str, typer.Argument(help="Environment name.")]) -> None:
    """Show an environment's tools with schemas, rules, difficulty levels, user contract."""
    out.print(environment_details(get_spec(name)))


@envs_app.command("tasks")
def envs_tasks(
    name: Annotated[str, typer.Argument(help="Environment name.")],
    n: Annotated[int, typer.Option("--n", help="How many tasks.", min=1)] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    difficulty: Annotated[int | None, typer.Option(help="Only this level.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print tasks as JSON lines.")] = False,
) -> None:
    """Sample tasks of an environment."""
    cls = get_environment(name)
    if difficulty is not None and difficulty not in cls.difficulty_levels:
        raise ConfigError(
            f"{name} has no difficulty {difficulty}",
            hint=f"levels: {', '.join(map(str, cls.difficulty_levels))}",
        )
    for i, task in enumerate(cls.sample_tasks(n, seed, difficulty)):
        if as_json:
            sys.stdout.write(msgspec.json.encode(task).decode() + "\n")
        else:
            out.rule(f"task {i + 1}")
            out.print(task_summary(task))


@envs_app.command("play")
def envs_play(
    name: Annotated[str, typer.Argument(help="Environment name.")],
    seed: Annotated[int, typer.Option(help="Task seed.")] = 1,
    difficulty: Annotated[int, typer.Option(help="Difficulty level.")] = 1,
    faults: Annotated[
        str, typer.Option(help="Fault profile (none, flaky, drift, hostile).")
    ] = "none",
    max_steps: Annotated[int, typer.Option(help="Stop after this many steps.", min=1)] = 60,
    dest: Annotated[str | None, typer.Option("--out", help="Where to save the trajectory.")] = None,
) -> None:
    """Play a task yourself in the terminal; the session is saved as a trajectory."""
    cls = get_environment(name)
    task = cls.generate_task(seed, difficulty)
    env = make_environment(cls, faults)
    recorder = EpisodeRecorder(
        env,
        task,
        trajectory_id=f"human-{name}-{seed}-{difficulty}",
        user=ScriptedUser(task, cls.hidden_info_keys),
        source="human",
        generator=Generator(policy="human"),
        fault_profile=faults,
    )
    out.print(tools_table(cls, schemas=False))
    out.print(Text.assemble(("user: ", "bold blue"), recorder.first_observation.content))
    out.print("[dim]type help for the commands[/]")
    while not recorder.done and len(recorder.steps) < max_steps:
        try:
            line = out.input("[bold]agent>[/] ").strip()
        except EOFError:
            break
        if line in ("quit", "exit"):
            break
        if not line:
            continue
        if line == "help":
            out.print(HELP)
            continue
        if line == "tools":
            out.print(tools_table(cls, schemas=False))
            continue
        try:
            action = parse_command(line, set(cls.tools), len(recorder.steps))
        except ConfigError as exc:
            err.print(f"[red]{escape(str(exc))}[/]")
            continue
        for obs in asyncio.run(recorder.act(Decision(actions=[action]))):
            out.print(observation_line(obs, 2000))
    trajectory = recorder.trajectory()
    path = dest or f"runs/play-{name}-{seed}-{difficulty}.jsonl"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_trajectories(path, [trajectory])
    score = trajectory.outcome.score or 0.0
    out.print(f"outcome: {trajectory.outcome.status} (score {score:.2f}); saved to {path}")


def main() -> None:
    """Entry point: run the app, rendering trajforge errors in one or two lines."""
    debug = "--debug" in sys.argv
    try:
        app()
    except (TrajforgeError, OSError) as exc:
        if debug:
            raise
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        hint = getattr(exc, "hint", None)
        if hint:
            err.print(f"[dim]hint: {escape(hint)}[/]", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
