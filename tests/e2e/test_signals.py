"""Ctrl-C, SIGTERM and SIGKILL during every long command, through the real CLI.

Each case starts a command, waits for real progress (episodes journaled, bytes in the output's
temporary file, requests served: never a fixed delay), sends the signal and checks that the
command stops within ``STOP_S`` with no traceback, the exit status 130, 143 or -9, a line saying
it was interrupted and what it left, no output that looks complete but is not, and no process
left behind. Then the same command, run again, must give the bytes of an uninterrupted run
(timing fields aside, for a model's answers) and leave no temporary file.

SIGINT goes to the process group, as a terminal's Ctrl-C does; SIGTERM and SIGKILL go to the
command's process (``kill``, the OOM killer), and once SIGTERM to the group (a service manager
stopping a command whose worker processes are busy).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from trajforge.errors import InputError
from trajforge.formats.registry import get_writer
from trajforge.io import read_trajectories
from trajforge.io.manifest import MANIFEST_NAME, Manifest
from trajforge.run.runner import JOURNALS, SPEC_NAME
from trajforge.testing.fake_endpoint import FakeEndpoint, text

#: How soon a signalled command must be gone (generous: a loaded CI machine).
STOP_S = 5.0
ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"}
VERDICT = '{"score": 0.8, "verdict": "correct", "rationale": "grounded"}'
#: The generate command: its output is the other commands' input too.
GENERATE = "generate --env support --mistakes 0.2 --faults flaky --seed 3 --tasks 200 "
GENERATE += "--shard-size 40 --out gen"


#: A curation that keeps every record of the dataset.
CURATION = """
[filter]
[[filter.keep]]
why = "another environment"
field = "task.environment"
in = ["support"]
"""


@dataclass(frozen=True)
class Inputs:
    """What the commands read: a generated dataset, the same records repeated in one file (for
    the commands fast enough to need more) and as OpenAI chats, a curation config, and an
    endpoint that answers every request."""

    dataset: Path
    repeated: Path
    chats: Path
    curation: Path
    endpoint: FakeEndpoint


@dataclass(frozen=True)
class Command:
    """A long command: its arguments (``{dataset}``, ``{url}``... filled in from the inputs),
    what it writes (relative to where it runs), when it has made enough progress to be
    interrupted (given where it runs and the requests it made), and what its interruption
    message says."""

    name: str
    template: str
    output: str
    progressed: Callable[[Path, int], bool]
    note: str
    timed: bool = False  # its records hold a model's latency: compared without it
    run: tuple[str, int] | None = None  # a generation's directory and episodes

    def args(self, inputs: Inputs) -> list[str]:
        """The command line."""
        paths = {k: v for k, v in vars(inputs).items() if isinstance(v, Path)}
        return self.template.format(url=inputs.endpoint.base_url, **paths).split()

    def __str__(self) -> str:
        return self.name


def episodes_kept(out: Path) -> int:
    """A run's items in published shards and in its journals (fewer while one is published)."""
    kept = sum(p.read_bytes().count(b"\n") for p in (out / JOURNALS).glob("*.jsonl"))
    try:
        return kept + Manifest.load(out).count
    except InputError:  # not written yet
        return kept


def writing(out: Path) -> bool:
    """Whether the output's temporary file holds data already (a megabyte was flushed)."""
    return any(p.stat().st_size for p in out.parent.glob(f".{out.name}.*.tmp"))


COMMANDS = [
    Command(
        "generate",
        GENERATE,
        "gen",
        lambda cwd, served: episodes_kept(cwd / "gen") >= 40,
        "rerun the same command to resume",
        run=("gen", 200),
    ),
    Command(
        "generate-llm",
        "generate --env support --tasks 100 --shard-size 25 --agent llm --endpoint {url} --out llm",
        "llm",
        lambda cwd, served: episodes_kept(cwd / "llm") >= 20,
        "rerun the same command to resume",
        timed=True,
        run=("llm", 100),
    ),
    Command(
        "convert",
        "convert {repeated} converted --shard-size 250",
        "converted",
        lambda cwd, served: episodes_kept(cwd / "converted") >= 250,
        "converted is marked incomplete",
    ),
    Command(
        "verify",
        "verify {dataset} --out verified.jsonl --workers 2",
        "verified.jsonl",
        lambda cwd, served: writing(cwd / "verified.jsonl"),
        "nothing written to verified.jsonl",
    ),
    Command(
        "grade",
        "grade {repeated} --out graded.jsonl",
        "graded.jsonl",
        lambda cwd, served: writing(cwd / "graded.jsonl"),
        "nothing written to graded.jsonl",
    ),
    Command(
        "grade-judge",
        "grade {dataset}/part-00000.jsonl.zst --rules none --judge {url} --out judged.jsonl",
        "judged.jsonl",
        # the first window of 32 trajectories is about 300 requests
        lambda cwd, served: served >= 100,
        "nothing written to judged.jsonl",
        timed=True,
    ),
    Command(
        "apply",
        "apply {repeated} --out applied.jsonl --stage rules",
        "applied.jsonl",
        lambda cwd, served: writing(cwd / "applied.jsonl"),
        "nothing written to applied.jsonl",
    ),
    Command(
        "import",
        "import openai {chats} imported.jsonl",
        "imported.jsonl",
        lambda cwd, served: writing(cwd / "imported.jsonl"),
        "nothing written to imported.jsonl",
    ),
    Command(
        "export",
        "export openai-ft {repeated} exported.jsonl",
        "exported.jsonl",
        lambda cwd, served: writing(cwd / "exported.jsonl"),
        "nothing written to exported.jsonl",
    ),
    Command(
        "curate",
        "curate {repeated} --config {curation} --out curated.jsonl",
        "curated.jsonl",
        lambda cwd, served: writing(cwd / "curated.jsonl"),
        "nothing written to curated.jsonl",
    ),
    Command(
        "demo",
        "demo --small --out demo",
        "demo/05-export/sft",
        lambda cwd, served: episodes_kept(cwd / "demo" / "01-generate" / "data") >= 4,
        "run trajforge demo again to resume",
        run=("demo/01-generate/data", 20),
    ),
]
BY_NAME = {c.name: c for c in COMMANDS}


@dataclass(frozen=True)
class Delivery:
    """A signal; whether it goes to the command's whole process group; whether the command runs
    as a script's background job does (SIGINT ignored)."""

    signum: signal.Signals
    group: bool = False
    background: bool = False

    def __str__(self) -> str:
        return "-".join(
            [self.signum.name] + ["group"] * self.group + ["background"] * self.background
        )


CTRL_C = Delivery(signal.SIGINT, group=True)
KILL = Delivery(signal.SIGTERM)
KILL_9 = Delivery(signal.SIGKILL)
CASES = [(c, d) for c in COMMANDS for d in (CTRL_C, KILL, KILL_9)]
CASES += [
    (BY_NAME["verify"], Delivery(signal.SIGTERM, group=True)),
    (BY_NAME["generate"], Delivery(signal.SIGTERM, background=True)),
    (BY_NAME["grade-judge"], Delivery(signal.SIGTERM, background=True)),
]


def start(args: list[str], cwd: Path, *, background: bool = False) -> subprocess.Popen[bytes]:
    """The command in its own process group, its output into files in ``cwd``."""
    cwd.mkdir(parents=True, exist_ok=True)
    with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "trajforge", *args],
            cwd=cwd,
            stdout=out,
            stderr=err,
            env=ENV,
            start_new_session=True,
            preexec_fn=_ignore_sigint if background else None,  # noqa: PLW1509
        )


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(args: list[str], cwd: Path) -> None:
    """Run the command to its end; it must succeed."""
    proc = start(args, cwd)
    assert proc.wait(timeout=300) == 0, (cwd / "stderr.txt").read_text()


def outliving(pgid: int) -> list[int]:
    """The processes of group ``pgid`` still running ``STOP_S`` after its leader ended."""
    deadline = time.monotonic() + STOP_S
    while (alive := alive_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def alive_in_group(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that still run (zombies aside)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            alive.append(int(stat.parent.name))
    return alive


def content(path: Path, *, timed: bool) -> Any:
    """What an output holds: each file's bytes (a run's journal aside), or for ``timed`` output
    its records without the latency fields."""
    if timed:
        return [_untimed(msgspec.to_builtins(t)) for t in read_trajectories(path)]
    if path.is_file():
        return path.read_bytes()
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and JOURNALS not in p.parts
    }


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "latency_ms"}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inputs]:
    root = tmp_path_factory.mktemp("inputs")
    run(GENERATE.split(), root)
    repeated = root / "repeated.jsonl"
    lines = b"".join(msgspec.json.encode(t) + b"\n" for t in read_trajectories(root / "gen"))
    repeated.write_bytes(lines * 5)
    chats = root / "chats.jsonl"
    get_writer("openai")(str(chats), read_trajectories(repeated))
    curation = root / "curation.toml"
    curation.write_text(CURATION)
    with FakeEndpoint(handler=lambda request: text(VERDICT), record=False) as endpoint:
        yield Inputs(root / "gen", repeated, chats, curation, endpoint)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, inputs: Inputs) -> Callable[[Command], Path]:
    """Each command's output uninterrupted, run once per module (and only if needed)."""
    done = {"generate": inputs.dataset}

    def of(command: Command) -> Path:
        if command.name not in done:
            cwd = tmp_path_factory.mktemp(f"baseline-{command.name}")
            run(command.args(inputs), cwd)
            done[command.name] = cwd / command.output
        return done[command.name]

    return of


def interrupt(proc: subprocess.Popen[bytes], delivery: Delivery) -> float:
    """Send the signal; how long the command took to end then."""
    if delivery.group:
        os.killpg(proc.pid, delivery.signum)
    else:
        proc.send_signal(delivery.signum)
    sent = time.monotonic()
    try:
        proc.wait(timeout=STOP_S + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return time.monotonic() - sent


def wait_for(progressed: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not progressed():
        if proc.poll() is not None:
            pytest.fail(f"the command ended ({proc.returncode}) before the progress awaited")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the command made no progress in 120 s")
        time.sleep(0.002)


def check_partial(out: Path, reference: Path, timed: bool) -> None:
    """What an interrupted command left is no output, or marked incomplete; what it published
    is the same as an uninterrupted run's."""
    if reference.is_file():
        assert not out.exists(), f"{out} exists after the interruption"
        return
    for path in out.rglob(MANIFEST_NAME):
        assert not Manifest.load(path.parent).complete, f"{path} says complete"
    if timed:
        return
    for path in out.rglob("*"):
        data = path.name not in (MANIFEST_NAME, SPEC_NAME) and JOURNALS not in path.parts
        # a killed command leaves its temporary file, for the rerun to remove
        if data and path.is_file() and not path.name.endswith(".tmp"):
            assert path.read_bytes() == (reference / path.relative_to(out)).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(("command", "delivery"), CASES, ids=str)
def test_a_signal_stops_the_command_cleanly_and_a_rerun_completes_it(
    command: Command,
    delivery: Delivery,
    inputs: Inputs,
    baseline: Callable[[Command], Path],
    tmp_path: Path,
) -> None:
    reference = baseline(command)
    args = command.args(inputs)
    served = inputs.endpoint.served
    proc = start(args, tmp_path, background=delivery.background)
    wait_for(lambda: command.progressed(tmp_path, inputs.endpoint.served - served), proc)
    took = interrupt(proc, delivery)

    stderr = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == (
        -signal.SIGKILL if delivery.signum == signal.SIGKILL else 128 + delivery.signum
    ), stderr
    assert took < STOP_S, f"it took {took:.1f} s to stop"
    assert "Traceback" not in stderr, stderr
    if delivery.signum != signal.SIGKILL:
        assert f"interrupted ({delivery.signum.name})" in stderr, stderr
        assert command.note in stderr, stderr
        assert not list(tmp_path.rglob("*.tmp")), "temporary files left"
        if command.run is not None:  # it stopped at once, not after the last episode
            where, episodes = command.run
            assert episodes_kept(tmp_path / where) < episodes
    assert not outliving(proc.pid), "processes of the command outlived it"
    out = tmp_path / command.output
    check_partial(out, reference, command.timed)

    run(args, tmp_path)
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left after the rerun"
    assert content(out, timed=command.timed) == content(reference, timed=command.timed)
