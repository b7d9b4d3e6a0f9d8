"""The rules on real imported data: tau-bench's gpt-4o airline results in the fixtures, where a
booking is rejected (``Error: payment amount does not add up``) and then fixed."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.grade.rules.build import steps_of
from trajforge.formats.registry import get_reader
from trajforge.schema import Step, ToolCall, ToolResult, Trajectory

SAMPLE = Path(__file__).parents[2] / "fixtures" / "tau_bench" / "gpt-4o-airline.json"


@pytest.fixture(scope="module")
def booking() -> Trajectory:
    """Task 11: book_reservation rejected at step 9; the agent thinks, calculates and talks,
    then books successfully at step 15."""
    (found,) = [
        t for t in get_reader("tau-bench")(str(SAMPLE), None) if t.task.parameters["task_id"] == 11
    ]
    return found


def test_the_rejected_booking_is_corrected_and_recovered(booking: Trajectory) -> None:
    assert steps_of(booking, "corrected_call") == [9]
    assert steps_of(booking, "recovery") == [15]
    # thinking and calculating after the failure is working on it, not moving past it
    assert steps_of(booking, "ignored_error") == []


def test_the_sources_error_convention_is_what_makes_them_fire(booking: Trajectory) -> None:
    as_ok = msgspec.json.decode(
        msgspec.json.encode(booking).replace(b'"status":"error"', b'"status":"ok"'),
        type=Trajectory,
    )
    assert steps_of(as_ok, "recovery") == []
    assert steps_of(as_ok, "corrected_call") == []


def test_moving_past_the_rejection_is_an_ignored_error(booking: Trajectory) -> None:
    """The same record cut after the rejection and the agent's thought, then a search that has
    nothing to do with the booking."""
    search = ToolCall(
        id="s1",
        name="search_direct_flight",
        arguments={"origin": "JFK", "destination": "LAX", "date": "2024-05-20"},
    )
    moved_on = Step(actions=[search], observations=[ToolResult(call_id="s1", content="[]")])
    cut = msgspec.structs.replace(booking, steps=[*booking.steps[:11], moved_on])
    assert steps_of(cut, "ignored_error") == [11]
