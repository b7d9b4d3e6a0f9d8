"""One meaning of "yes" in every environment (the cases each environment's policy tests had)."""

from __future__ import annotations

import pytest

from trajforge.envs.consent import gives_consent, refuses

YES = [
    "yes",
    "Yes",
    "Yes, go ahead",
    "Yes, go ahead.",
    "ok",
    "OK go ahead",
    "OK, go ahead",
    "Okay do it",
    "please do",
    "Please do.",
    "Sure, please do.",
    "sure",
    "I confirm",
    "Confirmed.",
    "That's right",
    "yes please, I don't need it anymore",
    "No problem, go ahead",
]
NOT_YES = [
    "no",
    "No",
    "No thanks",
    "No, don't",
    "No, don't delete anything.",
    "Do not do that",
    "Don't do that yet",
    "wait",
    "Wait, how much is it?",
    "Wait, let me check first.",
    "never mind",
    "Which one?",
    "Which rows?",
    "What would the price difference be?",
    "what is the total?",
    "I don't think so",
    "hmm",
    "yes, but not yet — wait",
    "yes, but don't delete the duplicates",
]


@pytest.mark.parametrize("text", YES)
def test_a_yes_gives_consent(text: str) -> None:
    assert gives_consent(text)


@pytest.mark.parametrize("text", NOT_YES)
def test_a_refusal_a_question_or_a_yes_taken_back_gives_none(text: str) -> None:
    assert not gives_consent(text)


@pytest.mark.parametrize("text", ["No, stop", "wait", "yes, but not yet", "Hold on"])
def test_refusals(text: str) -> None:
    assert refuses(text)


@pytest.mark.parametrize("text", ["Which one?", "No problem, go ahead", "what is the total?"])
def test_questions_and_yeses_refuse_nothing(text: str) -> None:
    assert not refuses(text)
