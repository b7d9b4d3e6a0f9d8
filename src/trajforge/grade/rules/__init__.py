"""Rule graders: small, named functions that label steps with what went wrong (or right).

One module per rule (``RULES`` in ``registry`` lists them; ``grade_rules`` runs them):

- ``redundant_call``: the same call again while its earlier, complete answer still holds;
- ``looping``: the same call and answer three times, or the same message over and over;
- ``invalid_call``: an undeclared tool, a required argument left out, a rejected call;
- ``corrected_call``: a call replaced at once by one with an argument changed (the first wrong);
- ``ungrounded_argument``: an identifier nothing the agent was told contains;
- ``ignored_error``: after a failure, a claim of success or an unrelated call;
- ``recovery`` (positive): a setback followed by a successful retry or alternative;
- ``unsupported_claim``: facts told to the user that nothing seen or done supports;
- ``policy_violation``: the environment's own rules (``find_violations``);
- ``unnecessary_tool``: a lookup not called for, whose answer the agent did without;
- ``missing_tool``: a required verification never made (or a change left unchecked);
- ``premature_finish``: finishing as done before the goal is met;
- ``efficiency`` (trajectory level): optimal step count over steps taken.

Shared reading lives in ``context`` (calls paired with results, state changes, what was said),
``claims`` (facts in text), ``usage`` (which results were used) and ``expected`` (matching the
task's expected actions).
"""

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext
from trajforge.grade.rules.registry import (
    RULES,
    RuleGrader,
    environment_for,
    grade_rules,
    select_rules,
)

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "RuleContext",
    "RuleGrader",
    "environment_for",
    "grade_rules",
    "select_rules",
]
