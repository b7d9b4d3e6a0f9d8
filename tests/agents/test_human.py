"""The play loop of a human agent, driven by scripted input lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tests.envs.toy_env import CounterEnv
from trajforge.agents.human import Shown, play
from trajforge.errors import ConfigError
from trajforge.run.episode import EpisodeRecorder
from trajforge.schema import Finish, ToolCall, ToolResult


def _recorder() -> EpisodeRecorder:
    task = CounterEnv.generate_task(2, 1)  # target 3
    return EpisodeRecorder(CounterEnv(), task, trajectory_id="human-counter")


def _typed(*lines: str) -> Callable[[], str]:
    """A read_line giving ``lines`` in turn, then end of input."""
    queue: Iterator[str] = iter(lines)

    def read_line() -> str:
        try:
            return next(queue)
        except StopIteration:
            raise EOFError from None

    return read_line


def test_typed_lines_become_steps_until_finish() -> None:
    recorder = _recorder()
    shown: list[Shown] = []
    lines = ["help", "", "tools", "bogus", "add amount=3", 'add {"amount": -1}', "finish done"]
    play(recorder, CounterEnv.tools, read_line=_typed(*lines, "add amount=9"), show=shown.append,
         max_steps=10)  # fmt: skip
    assert shown[:2] == ["help", "tools"]
    assert isinstance(shown[2], ConfigError)
    assert "unknown command or tool 'bogus'" in str(shown[2])
    results = [s for s in shown[3:] if isinstance(s, ToolResult)]
    assert [r.status for r in results] == ["ok", "error"]
    kinds = [type(step.actions[0]) for step in recorder.steps]
    assert kinds == [ToolCall, ToolCall, Finish]  # nothing after the finish
    assert recorder.done
    assert recorder.trajectory().outcome.status == "success"


def test_quit_end_of_input_and_the_step_budget_stop_the_loop() -> None:
    for lines, steps in ((["read", "quit", "read"], 1), (["read"], 1), (["read"] * 5, 2)):
        recorder = _recorder()
        play(recorder, CounterEnv.tools, read_line=_typed(*lines), show=lambda _: None,
             max_steps=2)  # fmt: skip
        assert len(recorder.steps) == steps
        assert not recorder.done
