"""Redacting a trajectory: every text field, consistent placeholders, identifiers left alone."""

from __future__ import annotations

import json

import msgspec
import pytest

from trajforge.curate.finding import KINDS
from trajforge.curate.redaction import Redactor
from trajforge.schema import (
    FaultRecord,
    Finish,
    Label,
    LabelSource,
    Plan,
    Provenance,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

EMAIL = "maria.okafor@gmail.com"
PHONE = "+1 (415) 867-5309"
CARD = "4111111111111111"
KEY = "ghp_" + "A1b2" * 9


def everywhere() -> Trajectory:
    """A trajectory with the e-mail address in every kind of text field."""
    arguments = {"customer": {"emails": [EMAIL], "note": f"call {PHONE}"}, "limit": 5}
    return Trajectory(
        id="t-1",
        task=Task(
            instruction=f"I am {EMAIL}; refund my order.",
            environment="support",
            seed=4242424242424242,  # Luhn-valid, but a seed
            parameters={"contact": EMAIL, "card": int(CARD)},
            hidden_info={"profile": {"email": EMAIL}},
            required_outputs=[f"sent to {EMAIL}"],
        ),
        tools=[ToolSpec(name="find_customer", description=f"e.g. {EMAIL}")],
        system_prompt=f"Escalate to {EMAIL}.",
        steps=[
            Step(
                reasoning=f"The user is {EMAIL}.",
                plan=Plan(steps=[f"look up {EMAIL}"]),
                actions=[
                    ToolCall(
                        id="call_1",
                        name="find_customer",
                        arguments=arguments,
                        raw_arguments=json.dumps(arguments, indent=1),
                        rationale=f"by {EMAIL}",
                    )
                ],
                observations=[
                    ToolResult(call_id="call_1", name="find", content=f'{{"email":"{EMAIL}"}}')
                ],
                state_notes=StateNotes(done=[f"found {EMAIL}"]),
                faults=[FaultRecord(kind="timeout", detail=f"while looking up {EMAIL}")],
                labels=[
                    Label(name="ok", source=LabelSource(kind="rule"), rationale=f"{EMAIL} found")
                ],
            ),
            Step(
                actions=[Reply(content=f"Is {EMAIL} right? Token {KEY}")],
                observations=[UserMessage(content=f"Yes, {EMAIL}. Call {PHONE.replace(' ', '')}")],
            ),
            Step(actions=[Finish(content=f"Done for {EMAIL}.")]),
        ],
        provenance=Provenance(extra={"$": {"user": EMAIL}}),
        metadata={"owner": EMAIL, "tags": [EMAIL]},
    )  # fmt: skip


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(KINDS)


def test_every_text_field_is_redacted(redactor: Redactor) -> None:
    original = everywhere()
    redacted, placeholders = redactor.trajectory(original)
    text = msgspec.json.encode(redacted).decode()
    assert EMAIL not in text
    assert "867" not in text
    assert KEY not in text
    assert CARD not in text
    occurrences = msgspec.json.encode(original).decode().count(EMAIL)
    assert occurrences == 21  # every field of the record that holds text, once
    assert text.count("<EMAIL_1>") == placeholders.replaced["email"] == occurrences


def test_the_same_value_gets_the_same_placeholder_everywhere(redactor: Redactor) -> None:
    redacted, placeholders = redactor.trajectory(everywhere())
    call = redacted.steps[0].actions[0]
    assert isinstance(call, ToolCall)
    assert call.arguments["customer"]["emails"] == ["<EMAIL_1>"]
    assert redacted.steps[0].observations[0].content == '{"email":"<EMAIL_1>"}'
    # one phone number, written two ways, is one value
    assert call.arguments["customer"]["note"] == "call <PHONE_1>"
    assert redacted.steps[1].observations[0].content == "Yes, <EMAIL_1>. Call <PHONE_1>"
    assert placeholders.distinct() == {"email": 1, "phone": 1, "api_key": 1, "card": 1}


def test_distinct_values_get_numbered_placeholders_in_reading_order(redactor: Redactor) -> None:
    trajectory = Trajectory(
        id="t",
        task=Task(instruction="from a.one@gmail.com to b.two@gmail.com, cc a.one@gmail.com"),
    )
    redacted, _ = redactor.trajectory(trajectory)
    assert redacted.task.instruction == "from <EMAIL_1> to <EMAIL_2>, cc <EMAIL_1>"


def test_keys_identifiers_and_structure_stay(redactor: Redactor) -> None:
    original = everywhere()
    redacted, _ = redactor.trajectory(original)
    call = redacted.steps[0].actions[0]
    assert isinstance(call, ToolCall)
    assert (redacted.id, call.id, call.name) == ("t-1", "call_1", "find_customer")
    assert redacted.task.seed == original.task.seed  # a seed is no card number
    assert call.arguments["limit"] == 5
    assert set(call.arguments["customer"]) == {"emails", "note"}
    assert json.loads(call.raw_arguments or "") == call.arguments


def test_a_card_number_stored_as_a_number_is_replaced(redactor: Redactor) -> None:
    redacted, _ = redactor.trajectory(everywhere())
    assert redacted.task.parameters["card"] == "<CARD_1>"


def test_a_trajectory_with_nothing_to_redact_is_returned_as_is(
    redactor: Redactor, clean: list[Trajectory]
) -> None:
    itops = next(t for t in clean if t.task.environment == "dataops")
    redacted, placeholders = redactor.trajectory(itops)
    assert redacted is itops
    assert not placeholders.replaced


def test_reserved_values_stay_unless_told() -> None:
    trajectory = Trajectory(id="t", task=Task(instruction="ana@northwind.example on 10.1.4.22"))
    kept, _ = Redactor(KINDS).trajectory(trajectory)
    assert kept.task.instruction == "ana@northwind.example on 10.1.4.22"
    redacted, _ = Redactor(KINDS, keep_reserved=False).trajectory(trajectory)
    assert redacted.task.instruction == "<EMAIL_1> on <IP_1>"


def test_only_the_kinds_asked_for() -> None:
    trajectory = Trajectory(id="t", task=Task(instruction=f"{EMAIL} {KEY}"))
    redacted, _ = Redactor(("api_key",)).trajectory(trajectory)
    assert redacted.task.instruction == f"{EMAIL} <API_KEY_1>"
    with pytest.raises(ValueError, match="unknown kinds to redact: ssn"):
        Redactor(("ssn",))
