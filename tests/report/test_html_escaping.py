"""Every text of a trajectory that the report shows is escaped: payloads in ids, instructions,
tool names, arguments, results, faults and labels render as text and execute nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from trajforge.io import write_trajectories
from trajforge.report.html import write_report
from trajforge.schema import (
    FaultRecord,
    HandOff,
    Label,
    LabelSource,
    Outcome,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)

PAYLOADS = {
    "id": "<script>alert('id')</script>",
    "environment": "<img src=x onerror=alert('env')>",
    "instruction": '"><script>alert("instruction")</script>',
    "tool": "<svg onload=alert('tool')>",
    "argument": "</span><script>alert('argument')</script>",
    "result": "<iframe src=\"javascript:alert('result')\"></iframe>",
    "error_kind": "<b onmouseover=alert('kind')>e</b>",
    "reasoning": "</div><script>alert('reasoning')</script>",
    "reply": "<a href=\"javascript:alert('reply')\">click</a>",
    "handoff": "<style>body{display:none}</style><script>alert('handoff')</script>",
    "fault": "<script>alert('fault')</script>",
    "label": "<img src=x onerror=alert('label')>",
    "rationale": "<script>alert('rationale')</script>",
}


def hostile() -> Trajectory:
    p = PAYLOADS
    rule = LabelSource(kind="rule", id=p["label"])
    call = ToolCall(id="c1", name=p["tool"], arguments={"q": p["argument"]})
    failed = ToolResult(
        call_id="c1",
        name=p["tool"],
        content=p["result"],
        status="error",
        error_kind=p["error_kind"],
    )
    retry = ToolCall(id="c2", name=p["tool"], arguments={"q": p["argument"]})
    problem = Label(
        name=p["label"], source=rule, value=0.0, grade=p["label"], rationale=p["rationale"]
    )
    recovery = Label(
        name="recovery",
        source=rule,
        value=1.0,
        grade="recovery",
        rationale=p["rationale"],
        details={"setback_step": 0},
    )
    handoff = HandOff(content=p["handoff"], reason=p["handoff"])
    return Trajectory(
        id=p["id"],
        task=Task(instruction=p["instruction"], environment=p["environment"]),
        tools=[ToolSpec(name=p["tool"], description=p["reasoning"])],
        system_prompt=p["reply"],
        steps=[
            Step(
                reasoning=p["reasoning"],
                actions=[call],
                observations=[failed],
                faults=[FaultRecord(kind=p["fault"], tool=p["tool"], detail=p["fault"])],
                labels=[problem],
            ),
            Step(
                actions=[retry],
                observations=[ToolResult(call_id="c2", name=p["tool"], content=p["result"])],
                labels=[recovery],
            ),
            Step(actions=[Reply(content=p["reply"]), handoff]),
        ],
        outcome=Outcome(status="failure", score=0.0),
        labels=[Label(name=p["label"], source=LabelSource(kind="human", id=p["label"]), value=0.0)],
    )  # fmt: skip


@pytest.fixture(scope="module")
def page_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "hostile.jsonl"
    write_trajectories(data, [hostile()])
    return write_report(data, folder / "report.html", reference=data)


def test_no_markup_from_the_data_reaches_the_page(page_path: Path) -> None:
    body = page_path.read_text().split("<body>")[1]
    assert not re.search(
        r"<(script|iframe|img|style)\b|<svg onload|<a href=.javascript|<b onmouseover", body, re.I
    )
    assert "&lt;script&gt;alert(&#39;fault&#39;)&lt;/script&gt;" in body
    assert "<title>&lt;svg onload=alert(&#39;tool&#39;)&gt;: 2</title>" in body  # a chart's


def test_the_browser_shows_the_payloads_as_text(page_path: Path, browser: Browser) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page_path.as_uri())
    page.mouse.move(300, 300)
    active = "script, iframe, img, style:not(head style), [onerror], [onload], [onmouseover]"
    active += ", a[href^=javascript]"
    assert page.evaluate(f"document.querySelectorAll({active!r}).length") == 0
    text = page.inner_text("#examples")
    for name in (
        "id",
        "instruction",
        "tool",
        "result",
        "reasoning",
        "handoff",
        "fault",
        "rationale",
    ):
        assert PAYLOADS[name] in text, name
    assert "alert('argument')" in text
    assert page.is_visible("#examples")  # no <style> from the data hid the page
    page.close()
    assert dialogs == []
