"""redundant_call: the same call again while its earlier, complete answer still holds."""

from __future__ import annotations

import msgspec

from tests.grade.rules.build import Build, labels, steps_of

ORDER = {"order_id": "W1001", "status": "pending"}


def test_a_repeat_with_nothing_changed_is_redundant() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001")
    t.say("Looking.").call("get_order", ORDER, order_id="W1001").finish()
    found = labels(t.build(), "redundant_call")
    assert list(found) == [2]
    label = found[2][0]
    assert label.grade == "redundant"
    assert label.value == 0.0
    assert label.target == "steps[2].actions[0]"
    assert "step 0" in (label.rationale or "")


def test_a_failed_attempt_in_between_does_not_excuse_the_repeat() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001").fault("get_order", order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == [1, 2]


def test_asking_again_after_a_change_is_not_redundant() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001")
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001")
    t.call("get_order", {**ORDER, "status": "cancelled"}, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []


def test_retrying_after_a_fault_or_doubtful_data_is_not_redundant() -> None:
    t = Build().fault("get_order", order_id="W1001").call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []
    t = Build().call("get_order", {}, faults=("empty",), order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []
    t = Build().call("get_order", ORDER, status="partial", order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []


def test_other_arguments_are_another_call() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001").call("get_order", order_id="W1002")
    assert steps_of(t.build(), "redundant_call") == []


def test_a_change_made_again_after_its_reply_was_cut_off_is_redundant() -> None:
    line = {"path": "/etc/app.conf", "line": "workers=4"}
    t = Build().call("append_to_file", "{…[truncated]", status="partial", changes=True, **line)
    t.call("read_file", "workers=4", path="/etc/app.conf")  # reading back what it did is right
    t.call("append_to_file", {"appended": True}, changes=True, **line)
    found = labels(t.build(), "redundant_call", env="itops")
    assert list(found) == [2]
    assert "cut off after the change was made" in (found[2][0].rationale or "")
    assert found[2][0].details["repeats"] == 0


def test_an_idempotent_change_or_an_unknown_tool_asked_again_is_not_redundant() -> None:
    cut = '{"order_id": "W1001", "status": "cancel …[truncated]'
    t = Build().call("cancel_order", cut, status="partial", changes=True, order_id="W1001")
    t.call("cancel_order", {"error": "already cancelled"}, status="error", order_id="W1001")
    assert steps_of(t.build(), "redundant_call", env="support") == []  # refused: nothing twice
    line = {"path": "/etc/app.conf", "line": "workers=4"}
    t = Build().call("append_to_file", "{…[truncated]", status="partial", changes=True, **line)
    t.call("append_to_file", {"appended": True}, changes=True, **line)
    assert steps_of(t.build(), "redundant_call") == []  # no environment tells what it does


def test_a_change_made_again_after_the_state_moved_on_is_not_redundant() -> None:
    # restart (cut off), fix the config, restart again: the second restart picks up the fix
    t = Build().call("restart_service", "{…[truncated]", status="partial", changes=True, name="api")
    t.call("edit_file", changes=True, path="/etc/api.conf", old="w=1", new="w=4")
    t.call("restart_service", {"status": "running"}, changes=True, name="api")
    assert steps_of(t.build(), "redundant_call", env="itops") == []


def test_without_state_digests_a_cut_off_change_still_counts_as_a_change() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001")
    t.call("cancel_order", "{…[truncated]", status="partial", changes=True, order_id="W1001")
    t.call("get_order", {**ORDER, "status": "cancelled"}, order_id="W1001")
    built = t.build()
    imported = msgspec.structs.replace(
        built, steps=[msgspec.structs.replace(s, env_state_digest=None) for s in built.steps]
    )
    assert steps_of(imported, "redundant_call") == []
