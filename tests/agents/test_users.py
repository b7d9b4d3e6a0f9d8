"""The scripted user: answers from hidden information, confirms, and knows what it doesn't know."""

from __future__ import annotations

import asyncio

from trajforge.agents.users import CONFIRMATION, DONT_KNOW, ScriptedUser
from trajforge.schema import Task

TASK = Task(
    instruction="Book a meeting with Alex.",
    hidden_info={"attendee": "Alex Kim from Sales.", "duration": "45 minutes."},
)


def ask(user: ScriptedUser, text: str, *, question: bool = True) -> str | None:
    return asyncio.run(user.respond(text, question=question))


def test_answers_the_matching_hidden_fact() -> None:
    user = ScriptedUser(TASK, {"attendee": "which person to invite", "duration": "how long"})
    assert ask(user, "Which Alex should I invite, Alex Kim or Alex Ruiz?") == "Alex Kim from Sales."
    assert ask(user, "How long should the meeting be (duration)?") == "45 minutes."
    assert user.revealed == ["attendee", "duration"]


def test_confirms_requests_for_confirmation_and_does_not_guess() -> None:
    user = ScriptedUser(TASK)
    assert ask(user, "Shall I go ahead and book it now?") == CONFIRMATION
    assert ask(user, "What is your favourite colour?") == DONT_KNOW
    assert ask(user, "Booked it.", question=False) is None
