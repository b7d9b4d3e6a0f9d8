"""LLMUser against the fake endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("openai")

from trajforge.agents.llm_client import ChatClient
from trajforge.agents.llm_user import LLMUser
from trajforge.agents.users import DONT_KNOW
from trajforge.schema import Task
from trajforge.testing.fake_endpoint import FakeEndpoint, text

TASK = Task(
    instruction="Please refund the blue kettle.",
    hidden_info={
        "email": "ada@example.org",
        "zip": "12345",
        "confirm": "refunding the blue kettle ($20.00)",
    },
)
DESCRIPTIONS = {"email": "the email address on the account", "zip": "the ZIP code on file"}


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    with FakeEndpoint() as endpoint:
        yield endpoint


def user_for(fake: FakeEndpoint, **kwargs: Any) -> LLMUser:
    client = ChatClient(fake.base_url, "fake-model", backoff_s=0.01, timeout_s=5)
    return LLMUser(client, TASK, DESCRIPTIONS, seed=4, **kwargs)


def respond(user: LLMUser, message: str, question: bool = True) -> str | None:
    return asyncio.run(user.respond(message, question=question))


def test_statements_get_no_answer_and_no_request(fake: FakeEndpoint) -> None:
    assert respond(user_for(fake), "I have refunded it.", question=False) is None
    assert fake.served == 0


def test_the_prompt_holds_the_instruction_facts_and_confirmation(fake: FakeEndpoint) -> None:
    user = user_for(fake)
    assert TASK.instruction in user.system_prompt
    assert "- email (the email address on the account): ada@example.org" in user.system_prompt
    assert "refunding the blue kettle ($20.00)" in user.system_prompt
    assert "don't know" in user.system_prompt


def test_answers_and_history(fake: FakeEndpoint) -> None:
    fake.push(text(" It's ada@example.org. "), text("Yes, go ahead."))
    user = user_for(fake, sampling={"temperature": 0.0})
    assert respond(user, "What is the email on your account?") == "It's ada@example.org."
    assert respond(user, "Shall I refund the blue kettle ($20.00)?") == "Yes, go ahead."
    second = fake.requests[1]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == "It's ada@example.org."
    assert second["temperature"] == 0.0
    assert "tools" not in second
    assert fake.requests[0]["seed"] != second["seed"]
    assert user.guarded == 0


def test_an_unasked_secret_is_not_revealed(fake: FakeEndpoint) -> None:
    fake.push(text("Sure! My ZIP is 12345 and my email is ada@example.org."))
    user = user_for(fake)
    answer = respond(user, "What is your email address?")
    assert answer == "ada@example.org"  # the scripted answer to the same question
    assert user.guarded == 1
    assert user.leaks("zip 12345") == ["zip"]


def test_an_empty_answer_is_dont_know(fake: FakeEndpoint) -> None:
    fake.push(text("   "))
    assert respond(user_for(fake), "What is your favourite colour?") == DONT_KNOW
