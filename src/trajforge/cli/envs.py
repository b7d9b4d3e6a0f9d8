"""``trajforge envs``: list, inspect, sample tasks of, and play the simulated environments."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import err, out
from trajforge.cli.interrupt import interruptible
from trajforge.errors import ConfigError

if TYPE_CHECKING:
    from trajforge.agents.human import Shown
    from trajforge.envs.base import Environment
    from trajforge.schema import Trajectory

app = typer.Typer(
    help="Simulated environments: list, inspect, sample tasks, play.", no_args_is_help=True
)


@app.command("list")
@interruptible
def envs_list() -> None:
    """List the built-in environments."""
    from trajforge.envs.registry import ENVIRONMENTS
    from trajforge.report.env_tables import environments_table

    out.print(environments_table(ENVIRONMENTS.items()))


@app.command("show")
@interruptible
def envs_show(name: Annotated[str, typer.Argument(help="Environment name.")]) -> None:
    """Show an environment's tools with schemas, rules, difficulty levels, user contract."""
    from trajforge.envs.registry import get_spec
    from trajforge.report.env_tables import environment_details

    out.print(environment_details(get_spec(name)))


@app.command("tasks")
@interruptible
def envs_tasks(
    name: Annotated[str, typer.Argument(help="Environment name.")],
    n: Annotated[int, typer.Option("--n", help="How many tasks.", min=1)] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    difficulty: Annotated[int | None, typer.Option(help="Only this level.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print tasks as JSON lines.")] = False,
) -> None:
    """Sample tasks of an environment."""
    import msgspec

    from trajforge.envs.registry import get_environment
    from trajforge.report.env_tables import task_summary

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


@app.command("play")
@interruptible
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
    from rich.markdown import Markdown
    from rich.text import Text

    from trajforge.agents.human import play
    from trajforge.agents.users import ScriptedUser
    from trajforge.envs.factory import make_environment
    from trajforge.envs.registry import get_spec
    from trajforge.io import write_trajectories
    from trajforge.report.env_tables import tools_table
    from trajforge.run.episode import EpisodeRecorder
    from trajforge.schema import Generator

    spec = get_spec(name)
    cls = spec.environment
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
    out.print(Markdown(spec.policy_document))
    out.print(tools_table(cls, schemas=False))
    out.print(Text.assemble(("user: ", "bold blue"), recorder.first_observation.content))
    out.print("[dim]type help for the commands[/]")
    path = Path(dest or f"runs/play-{name}-{seed}-{difficulty}.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)

    def save() -> Trajectory:
        trajectory = recorder.trajectory(system_prompt=spec.policy_document)
        write_trajectories(path, [trajectory])  # atomic: a session cut off keeps its last step
        return trajectory

    play(
        recorder,
        cls.tools,
        read_line=lambda: out.input("[bold]agent>[/] "),
        show=lambda shown: _show(shown, cls),
        max_steps=max_steps,
        after_step=save,
    )
    trajectory = save()
    score = trajectory.outcome.score or 0.0
    out.print(f"outcome: {trajectory.outcome.status} (score {score:.2f}); saved to {path}")


def _show(shown: Shown, cls: type[Environment]) -> None:
    """Render what the play loop shows the player."""
    from trajforge.agents.human import HELP
    from trajforge.report.env_tables import tools_table
    from trajforge.report.transcript import observation_line

    if shown == "help":
        out.print(HELP)
    elif shown == "tools":
        out.print(tools_table(cls, schemas=False))
    elif isinstance(shown, ConfigError):
        err.print(f"[red]{escape(str(shown))}[/]")
    else:
        out.print(observation_line(shown, 2000))
