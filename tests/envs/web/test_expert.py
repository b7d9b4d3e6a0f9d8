"""The web expert: success rates, recovery from faults, policy, notes, determinism, page reading."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest

import trajforge.envs.web.env as web_env
import trajforge.envs.web.pages as web_pages
from tests.agents.expert_harness import (
    assert_decodes,
    assert_reproducible,
    calls,
    expert_harness,
    steps_per_level,
)
from tests.agents.expert_harness import success_rate as rate
from tests.envs.web.helpers import generate_task
from trajforge.agents.scripted import MAX_RETRIES, Call, Result
from trajforge.agents.users import ScriptedUser
from trajforge.envs.consent import gives_consent
from trajforge.envs.faults import PROFILES, FaultProfile
from trajforge.envs.web import WebEnv, site
from trajforge.envs.web.expert import WebExpert
from trajforge.envs.web.expert.page import CONCEPTS, QUERIES, Element, Page, concept
from trajforge.envs.web.expert.text import (
    ASK_CARD,
    ASK_CURRENT_PASSWORD,
    ASK_PASSWORD,
    ASK_PHONE,
    CONFIRM_PASSWORD,
    card_in,
    confirm_email,
    confirm_total,
    consent,
    phone_in,
    secret_in,
    wish_in,
)
from trajforge.envs.web.site import EMAIL_CHANGE_LABELS, PASSWORD_CHANGE_LABELS, PAYMENT_LABELS
from trajforge.run.episode import Budget, EpisodeRecorder, run_episode
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

N_TASKS = 200
KINDS = 12
RECOVERABLE = {"timeout", "server_error", "rate_limit", "partial", "format_drift", "stale", "empty"}
#: a tool gone for good is replaced by: (find -> scroll, read_page -> scroll)
FALLBACKS = {"find": {"scroll"}, "read_page": {"scroll"}}
#: calls whose action goes through even when the answer is cut off: re-read, never repeat
ACTING = {"click", "back", "scroll"}
#: a viewport small enough that elements and text fall out of view (the site shows 30 lines)
SMALL_VIEW = 20
FIND_FAULTS = FaultProfile(
    name="flaky-find",
    rates=PROFILES["flaky"].rates,
    per_tool={"find": {"format_drift": 0.4, "empty": 0.2, "stale": 0.1}},
)
CARD_ECHO = re.compile(r'typed into \[\d+\] textbox "(Card number|Credit card number)"')
NO_FIND = FaultProfile(
    name="no-find", rates=PROFILES["flaky"].rates, per_tool={"find": {"permanent": 1.0}}
)


tasks, episode, runs = expert_harness(WebEnv, WebExpert, N_TASKS)


@contextmanager
def viewport(lines: int) -> Iterator[None]:
    """Render pages with fewer visible lines, so the expert has to find and scroll."""
    saved = web_pages.VIEW_LINES
    for module in (web_pages, web_env):  # the renderer's and the scroll tool's copy
        module.__dict__["VIEW_LINES"] = lines
    try:
        yield
    finally:
        for module in (web_pages, web_env):
            module.__dict__["VIEW_LINES"] = saved


@cache
def small_runs(profile: str) -> tuple[Trajectory, ...]:
    faults = {"flaky-find": FIND_FAULTS, "no-find": NO_FIND}.get(profile, profile)
    with viewport(SMALL_VIEW):
        return tuple(episode(task, n, faults) for n, task in enumerate(tasks()))


def all_runs() -> Iterator[Trajectory]:
    yield from runs("none")
    yield from runs("flaky")
    yield from small_runs("flaky-find")


def kind(item: Trajectory | Task) -> str:
    task = item.task if isinstance(item, Trajectory) else item
    return str(task.parameters["truth"]["kind"])


def results(traj: Trajectory) -> Iterator[tuple[int, ToolCall, ToolResult]]:
    for i, step in enumerate(traj.steps):
        for action in step.actions:
            if isinstance(action, ToolCall):
                found = [o for o in step.observations if isinstance(o, ToolResult)]
                yield i, action, found[0]


# -- success -----------------------------------------------------------------------------------


def test_the_sample_covers_every_level_kind_and_version() -> None:
    assert {t.difficulty for t in tasks()} == {1, 2, 3}
    assert len({t.parameters["truth"]["kind"] for t in tasks()}) == KINDS
    assert {t.parameters["site_version"] for t in tasks()} == set(site.VERSIONS)


def test_success_rate_without_faults() -> None:
    assert rate(runs("none")) >= 0.98


def test_success_rate_with_flaky_tools() -> None:
    assert rate(runs("flaky")) >= 0.90


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_level_succeeds_without_faults(level: int) -> None:
    at_level = tuple(t for t in runs("none") if t.task.difficulty == level)
    assert at_level
    assert rate(at_level) >= 0.98


def test_every_site_version_is_solved_without_remembered_ids() -> None:
    """The same tasks on v1, v2 and v3 (other ids, labels, URLs, menus) all succeed."""
    for level in (1, 2, 3):
        for seed in range(12):
            for version in site.VERSIONS:
                task = generate_task(seed, level, site_version=version)
                traj = episode(task, seed)
                assert traj.outcome.status == "success", (level, seed, version)


def test_a_small_viewport_is_handled_with_find_and_scroll() -> None:
    drifted = small_runs("flaky-find")
    assert rate(drifted) >= 0.90
    used = {c.name for t in drifted for c in calls(t)}
    assert {"find", "scroll"} <= used
    kinds = {f.kind for t in drifted for s in t.steps for f in s.faults if f.tool == "find"}
    assert {"format_drift", "empty", "stale"} <= kinds
    gone = small_runs("no-find")
    assert rate(gone) >= 0.90
    for traj in gone:  # once find is gone, the page is scrolled instead; find is not retried
        assert sum(c.name == "find" for c in calls(traj)) <= 1, traj.id


# -- policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_no_policy_violations(profile: str) -> None:
    env = WebEnv()
    for traj in runs(profile):
        assert env.find_violations(traj) == [], traj.id
    for traj in small_runs("flaky-find"):
        assert env.find_violations(traj) == [], traj.id


def _clicked(result: ToolResult) -> str:
    m = re.match(r'clicked \[\d+\] \w+ "([^"]*)"', result.content)
    return m.group(1) if m else ""


def test_payments_and_account_changes_follow_a_yes_to_a_stated_total_or_change() -> None:
    gated = 0
    for traj in all_runs():
        review = ""
        for i, call, result in results(traj):
            total = re.search(r'text "Order total: (\$[\d,.]+)"', result.content)
            review = total.group(1) if total else review
            label = _clicked(result)
            if call.name != "click" or result.status != "ok" or not label:
                continue
            if label in PAYMENT_LABELS | EMAIL_CHANGE_LABELS | PASSWORD_CHANGE_LABELS:
                gated += 1
                asked = next(
                    s
                    for s in reversed(traj.steps[:i])
                    if isinstance(s.actions[0], ClarifyingQuestion)
                )
                question = str(getattr(asked.actions[0], "content", ""))
                assert gives_consent(asked.observations[0].content), traj.id
                if label in PAYMENT_LABELS:
                    assert review, traj.id
                    assert f"total is {review}" in question, traj.id
                else:
                    word = "email" if label in EMAIL_CHANGE_LABELS else "password"
                    assert word in question, traj.id
                    assert "confirm" in question.lower(), traj.id
    assert gated > N_TASKS


def test_the_card_number_goes_only_into_the_card_field() -> None:
    for traj in all_runs():
        card = str(traj.task.parameters["truth"].get("card_number", ""))
        if not card:
            continue
        for _, call, result in results(traj):
            if card in str(call.arguments) and result.status == "ok":
                assert call.name == "type", traj.id
                assert CARD_ECHO.match(result.content), traj.id
        final = traj.steps[-1].actions[0]
        assert card not in getattr(final, "content", ""), traj.id


def test_a_timed_out_card_entry_is_retried_without_counting_as_a_leak() -> None:
    slow = FaultProfile(name="slow-typing", per_tool={"type": {"timeout": 0.3}})
    buys = [t for t in tasks() if kind(t).startswith("buy")][:20]
    timed_out = 0
    for n, task in enumerate(buys):
        traj = episode(task, n, slow)
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        assert final.completed is (traj.outcome.status == "success"), traj.id
        assert WebEnv().find_violations(traj) == [], traj.id
        card = str(task.parameters["truth"]["card_number"])
        timed_out += any(
            card in str(c.arguments) and r.status == "timeout" for _, c, r in results(traj)
        )
    assert timed_out > 3


def test_the_login_wall_is_passed_with_the_password_the_user_gives() -> None:
    walls = 0
    for traj in runs("none"):
        for i, step in enumerate(traj.steps):
            seen = [o for o in step.observations if isinstance(o, ToolResult)]
            if not seen or "Please sign in to continue." not in seen[0].content:
                continue
            walls += 1
            ask, sign_in = traj.steps[i + 1], traj.steps[i + 2]
            assert isinstance(ask.actions[0], ClarifyingQuestion), traj.id
            assert "password" in ask.actions[0].content
            password = str(traj.task.parameters["truth"]["password"])
            typed = sign_in.actions[0]
            assert isinstance(typed, ToolCall)
            assert typed.arguments["text"] == password
            assert typed.arguments["submit"] is True
            assert ask.plan is not None
            assert "login wall" in (ask.plan.reason or "")
    assert walls > 30


def test_rejected_checkout_details_are_fixed_after_a_re_plan() -> None:
    fixed = 0
    for traj in runs("none"):
        truth = traj.task.parameters["truth"]
        quirk = truth.get("quirk")
        if not quirk:
            continue
        reasons = [s.plan.reason or "" for s in traj.steps if s.plan and s.plan.revision]
        if quirk == "zip_plus4":
            assert any("ZIP code must be 5 digits" in r for r in reasons), traj.id
            assert any(c.arguments.get("text") == truth["address"]["zip"] for c in calls(traj))
        else:
            assert any("phone number is required" in r for r in reasons), traj.id
            asked = [s for s in traj.steps if s.actions[0] == ClarifyingQuestion(content=ASK_PHONE)]
            assert len(asked) == 1
            assert truth["phone"] in str(getattr(asked[0].observations[0], "content", ""))
            assert any(c.arguments.get("text") == truth["phone"] for c in calls(traj))
        fixed += 1
    assert fixed > 20


def test_moved_pages_are_followed_to_their_new_address() -> None:
    moved = 0
    for traj in runs("none"):
        old = traj.task.parameters["truth"].get("moved_from")
        if not old:
            continue
        names = [(c.name, c.arguments) for c in calls(traj)]
        at = names.index(("goto", {"url": old}))
        assert names[at + 1][0] == "click", traj.id
        reasons = [s.plan.reason or "" for s in traj.steps if s.plan and s.plan.revision]
        new = traj.task.parameters["truth"]["moved_to"]
        assert any(f"has moved to {new}" in r for r in reasons), traj.id
        moved += 1
    assert moved > 30


def test_element_ids_come_from_the_page_just_read() -> None:
    """Every id clicked, typed into or chosen was on the latest page or find result."""
    for traj in all_runs():
        seen = ""
        for i, call, result in results(traj):
            if call.name in ("click", "type", "select"):
                eid = call.arguments["element_id"]
                assert re.search(rf"(?<!\d){eid}(?!\d)", seen), (traj.id, i, eid)
            stale = {f.call_id for f in traj.steps[i].faults if f.kind in ("stale", "empty")}
            if result.status == "ok" and call.id not in stale and call.name != "submit_answer":
                seen = result.content


def test_questions_reach_the_detail_they_ask_for() -> None:
    """The simulated user matches each question to the intended detail (or confirms)."""
    expected = {
        ASK_PASSWORD: "password is",
        ASK_CURRENT_PASSWORD: "password is",
        ASK_CARD: "card number is",
        ASK_PHONE: "phone number is",
    }
    for traj in runs("none"):
        for step in traj.steps:
            action = step.actions[0]
            if not isinstance(action, ClarifyingQuestion):
                continue
            answer = step.observations[0]
            assert isinstance(answer, UserMessage)
            want = expected.get(action.content)
            if want is not None:
                assert want in answer.content, (traj.id, action.content)
            else:
                assert "confirm" in action.content.lower()
                assert gives_consent(answer.content), (traj.id, action.content)


class _User:
    """A user who answers from hidden info but declines, or caps the total below it."""

    def __init__(self, task: Task, reply: str) -> None:
        self.inner = ScriptedUser(task, WebEnv.hidden_info_keys)
        self.reply = reply

    async def respond(self, message: str, *, question: bool) -> str | None:
        if "Please confirm." in message:
            return self.reply
        return await self.inner.respond(message, question=question)


@pytest.mark.parametrize("reply", ["No, please don't.", "Yes, anything up to $1.00 in total."])
def test_a_declined_or_too_high_total_changes_nothing(reply: str) -> None:
    gated = [t for t in tasks() if kind(t) in ("buy", "email", "password")][:18]
    assert {kind(t) for t in gated} == {"buy", "email", "password"}
    for n, task in enumerate(gated):
        if "$" in reply and kind(task) != "buy":
            continue
        env = WebEnv()
        recorder = EpisodeRecorder(env, task, trajectory_id=f"no-{n}", user=_User(task, reply))
        traj = asyncio.run(run_episode(recorder, WebExpert(task, env.tool_specs(), n), Budget()))
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        assert final.completed is False
        assert "did not" in final.content
        assert "above" in final.content if "$" in reply else "did not confirm" in final.content
        state = env.state()
        assert not state["placed"]
        assert "email_changed" not in state["events"]
        assert "password_changed" not in state["events"]
        assert env.find_violations(traj) == []


# -- recovery ----------------------------------------------------------------------------------


def test_every_recoverable_fault_is_followed_by_a_recovery_step() -> None:
    recovered: dict[str, int] = {}
    for traj in [*runs("flaky"), *small_runs("flaky-find"), *small_runs("no-find")]:
        streak = 0
        for i, step in enumerate(traj.steps):
            kinds = {f.kind for f in step.faults} & RECOVERABLE
            streak = streak + 1 if kinds else 0
            if not kinds:
                continue
            call, after = step.actions[0], traj.steps[i + 1]
            assert isinstance(call, ToolCall)
            nxt = after.actions[0]
            for fault in kinds:
                recovered[fault] = recovered.get(fault, 0) + 1
            acting = call.name in ACTING or bool(call.arguments.get("submit"))
            if kinds == {"format_drift"}:
                assert "different format" in (after.reasoning or ""), traj.id
            elif isinstance(nxt, Finish):  # retries used up: an honest failure
                assert streak > MAX_RETRIES
                assert nxt.completed is False
            elif kinds == {"partial"} and acting:  # the action went through: read, not repeat
                assert isinstance(nxt, ToolCall), traj.id
                assert nxt.name == "read_page", traj.id
                assert "instead of repeating" in (after.reasoning or "")
            else:
                assert isinstance(nxt, ToolCall), traj.id
                same = nxt.name == call.name and nxt.arguments == call.arguments
                assert same or nxt.name in FALLBACKS.get(call.name, set()), traj.id
                assert after.reasoning
    assert set(recovered) == RECOVERABLE
    assert sum(recovered.values()) > 200


def test_no_action_is_repeated_after_its_answer_was_cut_off() -> None:
    cut = FaultProfile(name="cut", per_tool={"click": {"partial": 1.0}})
    for n, task in enumerate(tasks()[:45]):
        traj = episode(task, n, cut)
        assert traj.outcome.status == "success", traj.id
        made = [(c.name, c.arguments) for c in calls(traj)]
        assert all(a[0] != "click" or a != b for a, b in itertools.pairwise(made)), traj.id


# -- notes, plans, rationales --------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_plans_rationales_and_notes_are_consistent(profile: str) -> None:
    for traj in runs(profile):
        assert traj.steps[0].plan is not None
        assert traj.steps[0].plan.revision == 0
        done: list[str] = []
        for step in traj.steps:
            assert step.state_notes is not None
            assert step.state_notes.done[: len(done)] == done  # done only grows
            done = list(step.state_notes.done)
            for action in step.actions:
                if isinstance(action, ToolCall):
                    assert action.rationale, traj.id
        final = traj.steps[-1]
        assert final.state_notes is not None
        if traj.outcome.status == "success":
            assert final.state_notes.remaining == [], traj.id
            assert isinstance(final.actions[0], Finish)
            assert final.actions[0].completed


def test_plan_revisions_count_up_and_give_a_reason() -> None:
    revised = 0
    for traj in runs("none"):
        plans = [s.plan for s in traj.steps if s.plan is not None]
        assert [p.revision for p in plans] == list(range(len(plans)))
        assert all(p.reason for p in plans[1:])
        revised += len(plans) > 1
    assert revised > N_TASKS // 4


def test_the_final_summary_states_what_the_site_confirmed() -> None:
    for traj in runs("none"):
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        pages = " ".join(r.content for _, _, r in results(traj))
        for quoted in re.findall(r"“([^”]+)”", final.content):
            assert quoted in pages, (traj.id, quoted)
        answers = [c.arguments["answer"] for c in calls(traj) if c.name == "submit_answer"]
        if answers:
            assert answers[-1] in final.content
        if kind(traj).startswith("buy"):
            order = re.search(r"Order (W\d+) has been placed", pages)
            assert order is not None
            assert order.group(1) in final.content


def test_optimal_steps_are_recorded() -> None:
    per_level = steps_per_level(runs("none"), runs("flaky"))
    mean = {level: sum(v) / len(v) for level, v in per_level.items()}
    assert mean[1] < mean[2] < mean[3]
    assert min(per_level[1]) >= 4
    assert max(per_level[3]) <= 35


# -- determinism and records ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_the_same_task_seed_and_profile_give_identical_bytes(profile: str) -> None:
    assert_reproducible(tasks(), episode, runs(profile), profile, range(40))


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_trajectories_decode_back(profile: str) -> None:
    assert_decodes(runs(profile))


# -- reading pages -------------------------------------------------------------------------------

#: concept -> the site's label key (every version's label must read as that concept)
LABEL_KEYS = {
    "search_box": "hdr.q",
    "menu": "nav.menu",
    "orders": "nav.orders",
    "settings": "nav.settings",
    "help": "nav.help",
    "size": "pd.size",
    "qty": "pd.qty",
    "add": "pd.add",
    "remove": "cart.remove",
    "update_cart": "ct.update",
    "checkout": "ct.checkout",
    "password": "lg.password",
    "name": "co.name",
    "street": "co.street",
    "city": "co.city",
    "state": "co.state",
    "zip": "co.zip",
    "phone": "co.phone",
    "speed": "co.speed",
    "card": "co.card",
    "review": "co.continue",
    "place": "rv.place",
    "newsletter": "st.newsletter",
    "language": "st.language",
    "shipping_speed": "st.speed",
    "two_factor": "st.twofa",
    "sms_updates": "st.sms",
    "save_prefs": "st.save",
    "email": "st.email",
    "save_email": "st.email_save",
    "pw_current": "st.pw_current",
    "pw_new": "st.pw_new",
    "pw_confirm": "st.pw_confirm",
    "save_password": "st.pw_save",
    "moved": "mv.link",
    "sort": "sr.sort",
    "next_page": "sr.next",
}


def test_every_control_is_recognised_by_meaning_on_every_version() -> None:
    assert set(LABEL_KEYS) | {"cart"} == set(CONCEPTS) == set(QUERIES)
    for name, key in LABEL_KEYS.items():
        role = CONCEPTS[name][0]
        for label in site.LABELS[key]:
            assert concept(name)(Element(eid=1, role=role, label=label)), (name, label)
    for label in site.LABELS["nav.cart"]:
        assert concept("cart")(Element(eid=1, role="link", label=f"{label} (2)"))
    # look-alikes on the same pages are not mistaken for each other
    assert not concept("password")(Element(eid=1, role="textbox", label="Current password"))
    assert not concept("email")(Element(eid=1, role="combobox", label="Email newsletter"))
    assert not concept("help")(Element(eid=1, role="link", label="Help center home"))


PAGE = """clicked [7] button "Continue to review"
URL: /checkout
Title: Checkout
[1] link "Shoply"
alert "Please fix 2 problems below."
heading "Shipping address"
  [31] textbox "ZIP code" value="98103-4550"
    text "Error: ZIP code must be 5 digits."
  [32] textbox "Phone" value=""
    text "Error: A phone number is required for delivery."
  [45] checkbox "SMS order updates" checked=true
  [46] combobox "State" value="WA" options: WA | OR
… 12 more lines below (scroll down)"""


def test_a_page_is_read_into_elements_texts_and_errors() -> None:
    page = Page.parse(PAGE)
    assert (page.url, page.title, page.below) == ("/checkout", "Checkout", 12)
    assert page.echo.startswith("clicked [7]")
    zip_box = page.first("zip")
    assert zip_box is not None
    assert (zip_box.eid, zip_box.value) == (31, "98103-4550")
    assert page.alert == "Please fix 2 problems below."
    assert page.errors() == {
        "ZIP code": "ZIP code must be 5 digits.",
        "Phone": "A phone number is required for delivery.",
    }
    sms = page.first("sms_updates")
    assert sms is not None
    assert sms.checked
    assert page.first("state") is not None
    assert not page.is_login
    assert not page.is_moved
    moved = Page.parse(
        'URL: /orders/W1\nTitle: 404\ntext "The page /orders/W1 has moved to /my/W1."'
    )
    assert moved.is_moved
    assert moved.moved_to() == "/my/W1"


def _drive_find(data: Any, raw: str = "") -> Element | None:
    """Run the expert's look-up of an out-of-view element against one find answer."""
    task = tasks()[0]
    expert = WebExpert(task, WebEnv().tool_specs(), 0)
    expert.page = Page.parse('URL: /\nTitle: Home\n[1] link "Shoply"\n… 9 more lines below')
    moves = expert.seek("orders", "link to your orders")
    call = next(moves)
    assert isinstance(call, Call)
    assert (call.name, call.arguments) == ("find", {"text": "orders"})
    assert [f.name for f in call.fallbacks] == ["scroll"]
    expert._raw = raw
    try:
        moves.send(Result(ok=True, data=data))
    except StopIteration as stop:
        found: Element | None = stop.value
        return found
    raise AssertionError("the look-up asked for more")


def test_find_answers_are_read_whatever_their_format() -> None:
    rows = [{"id": 5, "role": "link", "label": "Orders"}, {"id": 9, "role": "link", "label": "x"}]
    assert _drive_find(rows) == Element(eid=5, role="link", label="Orders")
    csv_rows = [{"id": "5", "role": "link", "label": "Orders", "value": ""}]  # CSV: strings
    assert _drive_find(csv_rows) == Element(eid=5, role="link", label="Orders")
    assert _drive_find({"id": 5, "role": "link", "label": "Your orders"}) is not None  # one row
    assert _drive_find([]) is None
    scrolled = 'scrolled down\nURL: /\nTitle: Home\n[5] link "Order history"'
    found = _drive_find(scrolled, raw=scrolled)  # find gone: the scroll fallback's page
    assert found is not None
    assert found.eid == 5


def test_the_users_words_are_read() -> None:
    assert secret_in("My current password is maple-red-123") == "maple-red-123"
    assert secret_in("I don't know.") is None
    assert card_in("My card number is 4111 1111 1111 1111.") == "4111111111111111"
    assert phone_in("My phone number is (555) 012-3456") == "(555) 012-3456"
    assert consent("Yes, go ahead — anything up to $89.00 in total is fine.", 8197) == (True, "")
    assert not consent("Yes, anything up to $50.00 in total.", 8197)[0]
    assert not consent("No, please don't.")[0]
    wish = wish_in("the cheapest pair of blue running shoes under $90 and rated at least 4 stars")
    want = ("running shoes", "blue", 9000, 4.0, "cheapest")
    assert (wish.noun, wish.color, wish.cap, wish.min_rating, wish.best) == want
    assert wish_in("a navy T-shirt that's in stock").query == "navy t-shirt"


def test_requests_for_a_yes_are_recognised_by_the_policy_and_the_user() -> None:
    task = next(t for t in tasks() if kind(t) == "buy")
    user = ScriptedUser(task, WebEnv.hidden_info_keys)
    total = confirm_total(
        "$81.97", ["2 × Voltic Flex Drip Brewer"], "Riley Novak, Seattle", "Express"
    )
    assert "$81.97" in total
    assert "Yes" in str(asyncio.run(user.respond(total, question=True)))
    for question in (confirm_email("a@b.example"), CONFIRM_PASSWORD):
        assert "Please confirm." in question


def test_an_unknown_task_kind_is_refused_honestly() -> None:
    task = tasks()[0]
    params = {**task.parameters, "truth": {"kind": "teleport"}}
    strange = Task(instruction="Teleport me.", environment="web", parameters=params)
    expert = WebExpert(strange, WebEnv().tool_specs(), 0)
    decision = expert.next_decision([])
    final = decision.actions[0]
    assert isinstance(final, Finish)
    assert final.completed is False
