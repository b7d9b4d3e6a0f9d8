"""Building blocks of the web expert: what a careful person does on any page of the shop.

Every element is looked up by meaning on the page the last action returned (or, when it is out of
view, with the ``find`` tool, falling back to scrolling); ids are never remembered across pages.
Account pages behind v3's Menu button are opened through it, a login wall is passed by asking the
user for the password, and a page that moved is followed to its new location. Each block is a
generator of moves that returns what it found (None once it has ended the episode with a Done).

Its acting calls (a click, an Enter, a scroll, a back) are the engine's run-once calls: when the
answer comes back cut off, the action has already happened, so the page is read again instead of
the action being repeated (a generic re-query would click "Add to cart" a second time).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

from trajforge.agents.base import Decision
from trajforge.agents.scripted import Ask, Call, Done, Move, Result, ScriptedExpert
from trajforge.envs.web.expert.page import QUERIES, Element, Page, Pick, concept, found_elements
from trajforge.envs.web.expert.text import ASK_PASSWORD, secret_in
from trajforge.schema import Step, Task, ToolResult, ToolSpec

T = TypeVar("T")
Sub = Generator[Move, Any, T]

SIGN_IN = "sign in with your password"
REPORT = "tell you what was done"
MAX_SCROLLS = 6
#: tools whose action goes through even when their answer is cut off: repeating them would act
#: twice (a second click on "Add to cart", a checkbox flipped back, a form submitted again)
_ACTING = frozenset({"click", "back", "scroll"})


class WebMoves(ScriptedExpert):
    """The web expert's reusable steps; ``WebExpert`` strings them into flows."""

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        super().__init__(task, tools, seed, system_prompt=system_prompt)
        self.request = task.instruction or ""
        self.page = Page()
        self.password: str | None = None
        self.report: list[str] = []
        self._raw = ""
        self.no_find = "find" not in self.tools  # also set once find turns out to be gone

    # -- engine hooks --------------------------------------------------------------------------

    def _after_call(self, call: Call, last: Step | None) -> Decision:
        """Keep the raw page text, then go on as the engine does."""
        result = self._result_of(last)
        if result is not None:
            self._raw = result.content
        return super()._after_call(call, last)

    def _runs_once(self, call: Call) -> bool:
        """The acting calls: ``click``, ``back``, ``scroll``, and ``type`` that submits."""
        return call.name in _ACTING or (call.name == "type" and bool(call.arguments.get("submit")))

    def _after_cut_off_change(self, call: Call, result: ToolResult) -> Decision:
        """After a cut-off action, read the page instead of repeating it."""
        reread = Call(
            "read_page",
            why="See what the action did.",
            fallbacks=[Call("scroll", {"direction": "up"}, why="Seeing the page again.")],
        )
        return self._emit(
            reread,
            recovering="The result was cut off, but the action itself went through; "
            "reading the page instead of repeating it. ",
        )

    # -- plan and conversation -----------------------------------------------------------------

    def revise(self, items: list[str], reason: str) -> None:
        """Re-plan: insert steps before the first step not done yet."""
        plan = list(self._plan)
        at = next((i for i, p in enumerate(plan) if p not in self._done), len(plan))
        self.plan(plan[:at] + [i for i in items if i not in plan] + plan[at:], reason=reason)

    def ask(self, question: str, why: str) -> Sub[str]:
        """Ask the user; their answer."""
        answer = yield Ask(question, why=why)
        return str(answer or "")

    def fail(self, why: str) -> Done:
        """An honest failure report."""
        done = "; ".join(self._done) or "nothing yet"
        return Done(
            f"I'm sorry, I could not finish: {why}. Done so far: {done}.",
            completed=False,
            why=f"{why[:1].upper()}{why[1:]}; stopping and saying so.",
        )

    # -- acting on pages -----------------------------------------------------------------------

    def act(
        self, name: str, arguments: dict[str, Any], why: str, scroll: dict[str, str] | None = None
    ) -> Sub[Page | None]:
        """Use a page tool; the page it shows afterwards (None after reporting a failure).

        ``scroll``: arguments for scrolling as the fallback when the tool is gone for good.
        """
        fallbacks = [] if scroll is None else [Call("scroll", scroll, why=why)]
        result: Result = yield Call(name, arguments, why=why, fallbacks=fallbacks)
        if not result.ok:
            yield self.fail(f"the site refused {name} ({result.error})")
            return None
        if "URL: " in self._raw:  # a page (submit_answer answers with a sentence)
            self.page = Page.parse(self._raw)
        return self.page

    def click(self, element: Element, why: str) -> Sub[Page | None]:
        """Click an element of the current page."""
        return (yield from self.act("click", {"element_id": element.eid}, why))

    def type(self, element: Element, text: str, why: str, submit: bool = False) -> Sub[Page | None]:
        """Type into a textbox of the current page (and press Enter when ``submit``)."""
        args: dict[str, Any] = {"element_id": element.eid, "text": text}
        if submit:
            args["submit"] = True
        return (yield from self.act("type", args, why))

    def choose(self, element: Element, option: str, why: str) -> Sub[Page | None]:
        """Choose an option of a dropdown of the current page."""
        return (yield from self.act("select", {"element_id": element.eid, "option": option}, why))

    def seek(
        self, pick: Pick | str, what: str, query: str = "", see: bool = False
    ) -> Sub[Element | None]:
        """An element on the current page: in view, else found by meaning with the find tool.

        ``see``: scroll to it instead (when its state matters, e.g. whether a box is ticked).
        """
        test = concept(pick) if isinstance(pick, str) else pick
        if see:
            return (yield from self.look_for(lambda p: p.first(test), what))
        seen = self.page.first(test)
        if seen is not None:
            return seen
        text = query or (QUERIES.get(pick, "") if isinstance(pick, str) else "")
        if not text or self.no_find:
            return (yield from self.look_for(lambda p: p.first(test), what))
        result: Result = yield Call(
            "find",
            {"text": text},
            why=f"The {what} is not in view; finding it on this page by meaning.",
            fallbacks=[Call("scroll", {"direction": "down"}, why=f"Looking for the {what}.")],
        )
        if isinstance(result.data, str):  # find is gone: the scroll fallback showed the page
            self.no_find = True
            self.page = Page.parse(self._raw)
            return (yield from self.look_for(lambda p: p.first(test), what))
        return next((e for e in found_elements(result.data) if test(e)), None)

    def need(
        self, pick: Pick | str, what: str, query: str = "", see: bool = False
    ) -> Sub[Element | None]:
        """Like ``seek``, but a missing element ends the episode with an honest report."""
        found = yield from self.seek(pick, what, query, see)
        if found is None:
            yield self.fail(f"I could not find the {what} on {self.page.url or 'the page'}")
        return found

    def look_for(
        self, read: Callable[[Page], T | None], what: str, up: bool = False
    ) -> Sub[T | None]:
        """Read something off the page, scrolling (down, or ``up``) while it is out of view."""
        for _ in range(MAX_SCROLLS):
            found = read(self.page)
            more = self.page.above if up else self.page.below
            if found is not None or not more:
                return found
            direction = "up" if up else "down"
            page = yield from self.act(
                "scroll",
                {"direction": direction},
                f"Scrolling {direction} for the {what}.",
            )
            if page is None:
                return None
        return read(self.page)

    def notice(self) -> Sub[str]:
        """The site's message after an action (it shows at the top of the page)."""
        found = yield from self.look_for(lambda p: p.alert or None, "site's message", up=True)
        return found or ""

    # -- navigation ----------------------------------------------------------------------------

    def open_section(self, name: str, what: str) -> Sub[Page | None]:
        """Open an account or help section from the site's navigation, behind the login wall."""
        link = self.page.first(name)
        menu = self.page.first("menu")
        if link is None and menu is not None and menu.collapsed:
            page = yield from self.click(
                menu, f"This version of the site keeps the link to {what} behind the Menu button."
            )
            if page is None:
                return None
            link = page.first(name)
        if link is None:
            link = yield from self.need(name, f"link to {what}")
            if link is None:
                return None
        page = yield from self.click(link, f"Open {what} from the site navigation.")
        if page is None:
            return None
        return (yield from self.past_login(page))

    def open_bookmark(self, url: str, what: str, step: str) -> Sub[Page | None]:
        """Open a URL the user remembers (the plan's ``step``), following a moved page."""
        page = yield from self.act("goto", {"url": url}, f"Open {what} at the address you gave.")
        if page is None:
            return None
        self.mark_done(step)
        if page.is_moved:
            target = page.moved_to()
            self.revise(
                [f"follow the moved page to {target}"],
                reason=f"{url} answers 404: the page has moved to {target}.",
            )
            link = yield from self.need("moved", "link to the new address")
            if link is None:
                return None
            page = yield from self.click(
                link, f"Follow the link to the page's new address, {target}."
            )
            if page is None:
                return None
            self.mark_done(f"follow the moved page to {target}")
        elif page.alert.startswith("Redirected"):
            self.assume(f"{url} redirects to {page.url}, the page's current address")
        return (yield from self.past_login(page))

    def past_login(self, page: Page) -> Sub[Page | None]:
        """Sign in when the site put up its login wall; the page it then shows."""
        if not page.is_login:
            return page
        self.revise([SIGN_IN], reason="The site put up a login wall before that page.")
        if self.password is None:
            answer = yield from self.ask(
                ASK_PASSWORD, "Signing in needs your password, which only you can give me."
            )
            self.password = secret_in(answer)
            if not self.password:
                yield self.fail("I cannot sign in without your password")
                return None
        field = yield from self.need("password", "password field")
        if field is None:
            return None
        page_after = yield from self.type(
            field,
            self.password,
            "The email is already filled in; entering your password and pressing Enter.",
            submit=True,
        )
        if page_after is None:
            return None
        if page_after.is_login:
            yield self.fail("the site did not accept the password you gave me")
            return None
        self.mark_done(SIGN_IN)
        return page_after
