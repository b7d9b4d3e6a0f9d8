"""Signing in and grading a trajectory in real Chromium: per-step classes, quality, the
should-have-asked mark and comments by mouse and keyboard, the verdict, persistence, and a
conflict when the same grade was saved elsewhere."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.review.conftest import Workspace, login
from trajforge.review.models import Grade, Item
from trajforge.review.store import trajectory_of


def test_login_refuses_a_wrong_password(context: BrowserContext, workspace: Workspace) -> None:
    page = context.new_page()
    page.goto(workspace.url + "/login")
    page.fill('input[name="username"]', "ana")
    page.fill('input[name="password"]', "not the password")
    page.click('button[type="submit"]')
    expect(page.locator("#login-error")).to_have_text("wrong username or password")


def test_grade_the_steps_of_a_trajectory(context: BrowserContext, workspace: Workspace) -> None:
    page = context.new_page()
    login(page, workspace, "ana")
    page.click("text=alpha")
    page.locator("table.queue a").first.click()
    key = page.url.rsplit("/", 1)[1]
    steps = page.locator("section.step")
    count = steps.count()
    assert count >= 2
    # the mouse: step 0
    first = steps.nth(0)
    first.locator('select[name="label"]').select_option("correct")
    first.locator('input[name="quality"][value="5"]').check()
    first.locator('input[name="comment"]').fill("verified first, as the policy says")
    first.locator('button[type="submit"]').click()
    expect(page.locator("#status")).to_have_text("saved step 0")
    # the keyboard: step 1 (j moves, x classes it an error, 2 is its quality, h marks it, s saves)
    page.locator("h1").click()
    for key_name in ("j", "x", "2", "h", "s"):
        page.keyboard.press(key_name)
    expect(page.locator("#status")).to_have_text("saved step 1")
    page.keyboard.press("n")  # the verdict: needs-fix
    expect(page.locator("#status")).to_have_text("saved the verdict")
    page.reload()
    expect(page.locator('#step-1 select[name="label"]')).to_have_value("error")
    expect(page.locator('#step-1 input[name="ask_human"]')).to_be_checked()
    expect(page.locator('#verdict input[value="needs-fix"]')).to_be_checked()
    with workspace.database.session() as session:
        item = session.query(Item).filter_by(key=key).one()
        grades = {g.step: g for g in session.query(Grade).filter_by(item_id=item.id)}
        assert len(trajectory_of(item).steps) == count
    assert (grades[0].label, grades[0].quality) == ("correct", 5)
    assert grades[0].comment == "verified first, as the policy says"
    assert (grades[1].label, grades[1].quality, grades[1].ask_human) == ("error", 2, True)
    assert grades[-1].verdict == "needs-fix"


def test_a_stale_page_gets_a_conflict(context: BrowserContext, workspace: Workspace) -> None:
    first, second = context.new_page(), context.new_page()
    login(first, workspace, "cy")
    url = f"{workspace.url}/items/{workspace.items['alpha'][1]}"
    first.goto(url)
    second.goto(url)
    first.locator('#step-0 select[name="label"]').select_option("redundant")
    first.locator("#step-0 button[type=submit]").click()
    expect(first.locator("#status")).to_have_text("saved step 0")
    second.locator('#step-0 select[name="label"]').select_option("correct")
    second.locator("#step-0 button[type=submit]").click()
    expect(second.locator("#status")).to_contain_text("saved this grade since the page was loaded")
    expect(second.locator("#status")).to_have_class("status-line conflict")
    second.reload()  # the saved grade is the first tab's
    expect(second.locator('#step-0 select[name="label"]')).to_have_value("redundant")
