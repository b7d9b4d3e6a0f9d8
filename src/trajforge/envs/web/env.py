"""WebEnv: a simulated shop website seen as accessibility-tree text, as browser agents see it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from trajforge.envs.base import Environment, Snapshot, Violation
from trajforge.envs.tools import ToolError, tool
from trajforge.envs.web import browser, checks, policy, tasks
from trajforge.envs.web.browser import FORM_SUBMIT
from trajforge.envs.web.find import find_elements
from trajforge.envs.web.pages import (
    VIEW_LINES,
    Node,
    Page,
    build_page,
    filter_value,
    render,
    search_query,
)
from trajforge.envs.web.site import label, url_for
from trajforge.envs.web.state import CartLine, WebState
from trajforge.envs.web.world import load_world
from trajforge.schema import CheckResult, Task, Trajectory, UserMessage

SCROLL_STEP = 20
MAX_TEXT = 500
MAX_ANSWER = 2000


class WebEnv(Environment):
    """Navigate a shop website (catalog, cart, checkout, orders, settings, help center)."""

    name = "web"
    #: 2: an idle episode fails with score 0 (checks that held at the start earn nothing)
    version = "3"
    description = (
        "A simulated online shop with account pages and a help center, rendered as an "
        'accessibility tree (lines such as [12] link "Orders"). The site comes in versions whose '
        "element ids, labels and URLs differ, so elements must be found by meaning; ids are stable "
        "within an episode."
    )
    difficulty_levels: ClassVar[dict[int, str]] = {
        1: "a few pages: add a named product, change one preference, look up a help answer or an "
        "order by its number",
        2: "search + filter + form: pick a product by constraints, buy with a given address "
        "(confirm the total), change email or password (confirm), find an order by its item; "
        "sometimes "
        "behind a login wall or with a leftover item in the cart",
        3: "two goals: buy a product chosen by constraints with an address the checkout form "
        "rejects as given (fix the validation error), and a second goal on a page that moved "
        "from the URL "
        "the user remembers",
    }
    policy_rules = policy.RULES
    hidden_info_keys: ClassVar[dict[str, str]] = tasks.HIDDEN_INFO_KEYS
    state_type = WebState

    _state: WebState

    def __init__(self) -> None:
        super().__init__()
        self._cached: Page | None = None

    def reset(self, task: Task, seed: int | None = None) -> UserMessage:
        """Start an episode of ``task`` (the browser opens the start page)."""
        self._cached = None
        return super().reset(task, seed)

    def restore(self, snapshot: Snapshot) -> None:
        """Go back to a snapshot taken earlier in this episode."""
        super().restore(snapshot)
        self._cached = None

    # -- tasks and state ------------------------------------------------------------------------

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A seeded task (see tasks.generate_task)."""
        return tasks.generate_task(seed, difficulty, environment_version=cls.version)

    def build_state(self, task: Task) -> WebState:
        """The world of the task's world_seed, on its site version, with the browser at home."""
        p = task.parameters
        world = load_world(int(p["world_seed"]), str(p["now"]))
        world.rules.phone_required = bool(p.get("phone_required", False))
        state = WebState(
            version=str(p["site_version"]),
            now=world.now,
            catalog=world.catalog,
            orders=world.orders,
            articles=world.articles,
            moved_articles=world.moved_articles,
            account=world.account,
            rules=world.rules,
            logged_in=bool(p.get("logged_in", True)),
            order_seq=world.order_base + 100_000,
            cart=[
                CartLine(
                    slot=i,
                    product_id=str(line["product_id"]),
                    qty=int(line["qty"]),
                    size=str(line.get("size", "")),
                )
                for i, line in enumerate(p.get("cart", []))
            ],
        )
        browser.navigate(state, str(p.get("start_url", "/")), push=False)
        return state

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """The task's goal checks on the current state."""
        return checks.evaluate(self._state, task)

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Policy violations visible in a trajectory."""
        return policy.find_violations(trajectory)

    # -- helpers --------------------------------------------------------------------------------

    def _page(self) -> Page:
        """The current page; cached, since the page is a pure function of the state and the state
        only changes inside tools (which drop the cache first), reset and restore."""
        if self._cached is None:
            self._cached = build_page(self._state)
        return self._cached

    def _node(self, page: Page, element_id: int) -> Node:
        node = page.get(element_id)
        if node is None:
            raise ToolError(
                f"no element [{element_id}] on this page ({self._state.browser.url}); ids differ "
                "between pages and site versions — use read_page or find to see the current ones",
                kind="element_not_found",
            )
        return node

    def _observe(self, echo: str, focus: int = 0, url: str = "") -> str:
        self._cached = None
        page = self._page()
        b = self._state.browser
        if focus and b.url == url:
            line = page.index_of(focus)
            if line >= 0 and not b.scroll <= line < b.scroll + VIEW_LINES:
                b.scroll = max(0, line - 5)
        return f"{echo}\n{render(self._state, page)}"

    def _fresh(self) -> None:
        """Before an action changes anything: drop the cached page and the last notice."""
        self._cached = None
        self._state.browser.notice = ""

    # -- tools ----------------------------------------------------------------------------------

    @tool(idempotent=True)
    def goto(self, url: str) -> str:
        """Open a page of this site by its site-relative URL (other sites and schemes are refused).

        Args:
            url: a path on this site, e.g. /cart or /help; may include a query (/search?q=lamp)
        """
        target = browser.check_url(url)
        self._fresh()
        browser.navigate(self._state, target)
        return self._observe(f"opened {target}")

    @tool
    def click(self, element_id: int) -> str:
        """Click a link, button, checkbox or other element of the current page.

        Args:
            element_id: the number in brackets before the element, e.g. 12 for [12] link "Orders"
        """
        s = self._state
        node = self._node(self._page(), element_id)
        if node.props.endswith(" disabled"):
            raise ToolError(f"{node.describe()} is disabled", kind="element_disabled")
        echo = f"clicked {node.describe()}"
        act = node.act
        kind = act[0] if act else "noop"
        self._fresh()
        if kind == "nav":
            browser.navigate(s, act[1])
        elif kind == "submit":
            browser.submit(s, act[1])
        elif kind == "menu":
            s.browser.menu_open = not s.browser.menu_open
        elif kind == "quick_add":
            s.browser.notice = browser.add_to_cart(s, act[1], 1, "")
        elif kind == "remove":
            browser.remove_line(s, int(act[1]))
        elif kind == "toggle":
            self._toggle(node)
        elif kind == "field":
            echo += " (focused; use type to enter text)"
        elif kind == "select":
            echo += f" (options: {' | '.join(act[2:])}; use select to choose one)"
        elif kind == "noop" and len(act) > 1:
            s.browser.notice = act[1]
        return self._observe(echo)

    def _toggle(self, node: Node) -> None:
        s = self._state
        if node.act[1] == "filter":
            checked = s.browser.args.get("in_stock", "") == "1"
            query = search_query(s.browser.args, in_stock="" if checked else "1")
            browser.navigate(s, _search_url(s, query))
        else:
            form = s.browser.form
            form[node.key] = "false" if form.get(node.key) == "true" else "true"

    @tool(name="type", idempotent=True)
    def type_text(self, element_id: int, text: str, submit: bool = False) -> str:
        """Replace the text in a textbox; optionally press Enter to submit its form.

        Args:
            element_id: the textbox's id on the current page
            text: the text to enter (replaces what is there)
            submit: press Enter afterwards, submitting the form the textbox belongs to
        """
        s = self._state
        node = self._node(self._page(), element_id)
        if not node.act or node.act[0] != "field":
            raise ToolError(
                f"{node.describe()} is not a text field; type only works on textboxes",
                kind="not_editable",
            )
        if len(text) > MAX_TEXT:
            raise ToolError(
                f"text is too long ({len(text)} characters, at most {MAX_TEXT})",
                kind="invalid_text",
            )
        self._fresh()
        url = s.browser.url
        s.browser.form[node.key] = text
        echo = f"typed into {node.describe()}"
        if submit:
            form = node.act[1]
            echo += f' and pressed Enter → submitted "{label(s.version, FORM_SUBMIT[form])}"'
            browser.submit(s, form)
        return self._observe(echo, element_id, url)

    @tool(idempotent=True)
    def select(self, element_id: int, option: str) -> str:
        """Choose an option of a dropdown (combobox).

        Args:
            element_id: the combobox's id on the current page
            option: the option's text as listed after "options:"
        """
        s = self._state
        node = self._node(self._page(), element_id)
        if not node.act or node.act[0] != "select":
            raise ToolError(
                f"{node.describe()} is not a dropdown; select only works on comboboxes",
                kind="not_selectable",
            )
        options = node.act[2:]
        wanted = " ".join(option.split()).casefold()
        chosen = next((o for o in options if o.casefold() == wanted), None)
        if chosen is None:
            starts = [o for o in options if wanted and o.casefold().startswith(wanted)]
            chosen = starts[0] if len(starts) == 1 else None
        if chosen is None:
            raise ToolError(
                f"option {option!r} is not in {node.describe()}; options: {' | '.join(options)}",
                kind="invalid_option",
            )
        self._fresh()
        url = s.browser.url
        echo = f'selected "{chosen}" in {node.describe()}'
        if node.act[1] == "filter":
            field = node.key.removeprefix("sr.")
            query = search_query(s.browser.args, **{field: filter_value(node.key, chosen)})
            browser.navigate(s, _search_url(s, query))
        else:
            s.browser.form[node.key] = chosen
            s.browser.errors.pop(node.key, None)
        return self._observe(echo, element_id, url)

    @tool
    def scroll(self, direction: Literal["up", "down"]) -> str:
        """Scroll the page to see more lines.

        Args:
            direction: up or down
        """
        b = self._state.browser
        page = self._page()
        bottom = max(0, len(page.nodes) - VIEW_LINES)
        before = min(b.scroll, bottom)
        after = (
            min(bottom, before + SCROLL_STEP)
            if direction == "down"
            else max(0, before - SCROLL_STEP)
        )
        b.scroll = after
        if after == before:
            edge = "bottom" if direction == "down" else "top"
            echo = f"already at the {edge} of the page"
        else:
            echo = f"scrolled {direction}"
        return f"{echo}\n{render(self._state, page)}"

    @tool
    def back(self) -> str:
        """Go back to the previous page, like the browser's back button."""
        self._fresh()
        browser.go_back(self._state)
        return self._observe("went back")

    @tool(read_only=True)
    def read_page(self) -> str:
        """Show the current page (its visible lines) without changing anything."""
        return render(self._state, self._page())

    @tool(read_only=True)
    def find(self, text: str) -> list[dict[str, Any]]:
        """Find elements of the current page by label or meaning (e.g. "basket" finds "Cart").

        Args:
            text: words naming the element, e.g. "add to cart", "search box", "zip code"
        """
        if not text.strip():
            raise ToolError("text is empty; describe the element to find", kind="invalid_text")
        return find_elements(self._page(), text)

    @tool(idempotent=True)
    def submit_answer(self, answer: str) -> str:
        """Report the answer to the user's question (for look-up tasks); the last one counts.

        Args:
            answer: the answer, in a short sentence
        """
        text = answer.strip()
        if not text:
            raise ToolError("answer is empty", kind="invalid_answer")
        if len(text) > MAX_ANSWER:
            raise ToolError(
                f"answer is too long (at most {MAX_ANSWER} characters)", kind="invalid_answer"
            )
        answers = self._state.answers
        if not answers or answers[-1] != text:  # the same answer again changes nothing
            answers.append(text)
        return f"Answer recorded ({len(answers)} so far; the last one counts)."


def _search_url(s: WebState, query: dict[str, str]) -> str:
    return url_for(s.version, "search", query=query)
