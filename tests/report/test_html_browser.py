"""The report of a pipeline run in headless Chromium: no console error, no request beyond the
page itself, and every chart drew marks for its data."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.report.conftest import Run

#: For each chart: how many marks it has, and how many have an area on the screen.
MARKS = """
[...document.querySelectorAll('svg.chart')].map(svg => {
  const marks = [...svg.querySelectorAll('.mark')];
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 && b.height > 0; });
  return [svg.querySelector('title').textContent, marks.length, drawn.length];
})
"""


def test_the_report_opens_offline_and_draws_every_chart(
    run: Run, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(run.report.as_uri())
    page.wait_for_load_state("networkidle")
    shot = tmp_path / "report.png"
    page.screenshot(path=shot, full_page=True)
    charts = page.evaluate(MARKS)
    sections = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
    page.close()
    assert console == []
    assert requests == [run.report.as_uri()]
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 50_000
    assert len(charts) >= 10
    for title, marks, drawn in charts:
        assert drawn > 0, (title, marks)
    assert len(sections) == 13
