"""What is specific to the web environment: site versions, stale ids, the URL sandbox, moved pages,
the login wall, form validation, finding elements by meaning, scrolling and navigation."""

from __future__ import annotations

import json
import re

import pytest

from tests.envs.web.helpers import call, generate_task, ids_on_page, run, task_of, task_where
from trajforge.envs.web import WebEnv
from trajforge.envs.web.site import LABELS, VERSIONS, label, product_eid, sid, url_for
from trajforge.schema import ExpectedAction, ToolCall

# ------------------------------------------------------------------ versions and ids


def _ids(actions: list[ExpectedAction]) -> set[int]:
    return {a.arguments["element_id"] for a in actions if "element_id" in a.arguments}


@pytest.mark.parametrize("difficulty", [1, 2])
def test_same_task_on_v1_and_v3_needs_different_ids(difficulty: int) -> None:
    env = WebEnv()
    for seed in range(40):
        v1 = generate_task(seed, difficulty, site_version="v1")
        v3 = generate_task(seed, difficulty, site_version="v3")
        assert v1.instruction == v3.instruction
        assert v1.goal_checks == v3.goal_checks
        assert _ids(v1.expected_actions).isdisjoint(_ids(v3.expected_actions))
        for task in (v1, v3):
            results = run(env, task)
            assert all(r.status == "ok" for r in results)
            assert env.check(task).status == "success"
        # v1's route on the v3 site fails at its first element id, with a clear error
        results = run(env, v3, v1.expected_actions)
        first_id = next(i for i, a in enumerate(v1.expected_actions) if "element_id" in a.arguments)
        stale = results[first_id]
        assert stale.status == "error"
        assert stale.error_kind == "element_not_found"
        eid = v1.expected_actions[first_id].arguments["element_id"]
        assert f"no element [{eid}] on this page" in stale.content
        if not any(c.name == "answer" for c in v3.goal_checks):  # an answer needs no element ids
            assert env.check(v3).status != "success"


def test_stale_v1_id_on_v3_page() -> None:
    env = WebEnv()
    env.reset(generate_task(1, 1, site_version="v3"))
    v1_orders = sid("v1", "nav.orders")
    result = call(env, "click", element_id=v1_orders)
    assert result.status == "error"
    assert f"no element [{v1_orders}] on this page" in result.content


def test_labels_drift_between_versions() -> None:
    assert [label(v, "pd.add") for v in VERSIONS] == ["Add to cart", "Add to basket", "Buy"]
    assert [label(v, "hdr.q") for v in VERSIONS] == [
        "Search products",
        "Find products",
        "Search the store",
    ]
    env = WebEnv()
    for version in VERSIONS:
        task = task_of("cart_named", 1, version)
        env.reset(task)
        target = task.parameters["truth"]["target"]
        page = call(env, "goto", url=url_for(version, "product", target["product_id"])).content
        add = sid(version, "pd.add")
        assert f'[{add}] button "{label(version, "pd.add")}"' in page


def test_ids_are_stable_within_an_episode() -> None:
    env = WebEnv()
    task = task_of("cart_named", 1, "v2")
    env.reset(task)
    target = task.parameters["truth"]["target"]
    p = next(p for p in env._state.catalog.values() if p.id == target["product_id"])
    cart_link = sid("v2", "nav.cart")
    home = call(env, "read_page").content
    results = call(env, "type", element_id=sid("v2", "hdr.q"), text=p.name, submit=True).content
    assert f'[{product_eid("v2", p.num)}] link "{p.name}"' in results
    assert f"[{cart_link}] link" in home
    assert f"[{cart_link}] link" in results
    assert call(env, "click", element_id=product_eid("v2", p.num)).status == "ok"


def test_every_versions_id_blocks_are_disjoint() -> None:
    env = WebEnv()
    seen: dict[str, set[int]] = {}
    for version in VERSIONS:
        ids: set[int] = set()
        for seed in range(5):
            task = generate_task(seed, 3, site_version=version)
            env.reset(task)
            for a in task.expected_actions:
                r = env.execute(ToolCall(name=a.name, arguments=a.arguments))
                ids |= ids_on_page(r.content)
        seen[version] = ids
    assert seen["v1"].isdisjoint(seen["v2"])
    assert seen["v2"].isdisjoint(seen["v3"])
    assert seen["v1"].isdisjoint(seen["v3"])


def test_unknown_id_error_names_it() -> None:
    env = WebEnv()
    env.reset(generate_task(2, 1))
    for name, args in (("click", {}), ("type", {"text": "x"}), ("select", {"option": "x"})):
        result = call(env, name, element_id=987654, **args)
        assert result.status == "error"
        assert "no element [987654] on this page" in result.content


# ------------------------------------------------------------------ URL sandbox

REFUSED = [
    "http://evil.example",
    "https://evil.example/login?next=/",
    "file:///etc/passwd",
    "javascript:alert(document.cookie)",
    "JavaScript:void(0)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/cart",
    "mailto:someone@evil.example",
    "ftp://evil.example/x",
    "  http://evil.example  ",
    "/\\\\evil.example",
    "/cart\r\nSet-Cookie: x=1",
    "cart",
    "",
]


@pytest.mark.parametrize("url", REFUSED)
def test_urls_outside_the_site_are_refused(url: str) -> None:
    env = WebEnv()
    env.reset(generate_task(1, 1))
    before = env.digest()
    result = call(env, "goto", url=url)
    assert result.status == "error"
    assert result.error_kind in ("url_not_allowed", "invalid_url")
    assert env.digest() == before
    assert call(env, "read_page").content.startswith("URL: /\n")


def test_refusal_explains_what_is_allowed() -> None:
    env = WebEnv()
    env.reset(generate_task(1, 1))
    content = call(env, "goto", url="http://evil.example").content
    assert "only pages of this site" in content
    assert "url_not_allowed" in content


def test_own_origin_and_odd_paths_stay_on_site() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    page = call(env, "goto", url="https://shop.example/cart").content
    assert page.splitlines()[1] == "URL: /cart"
    page = call(env, "goto", url="/../../etc/passwd").content
    assert "Page not found (404)" in page
    assert 'link "Back to home"' in page


# ------------------------------------------------------------------ moved pages, 404, redirects


def test_old_settings_url_shows_a_moved_page_with_link() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v3"))
    page = call(env, "goto", url="/account/settings").content
    assert "Page not found (404)" in page
    assert "has moved to /my/settings" in page
    link = sid("v3", "mv.link")
    assert f'[{link}] link "Take me there"' in page
    settings = call(env, "click", element_id=link).content
    assert "URL: /my/settings" in settings


def test_moved_help_article_on_the_same_version() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    old, new = next(iter(env._state.moved_articles.items()))
    page = call(env, "goto", url=f"/help/{old}").content
    assert f"has moved to /help/{new}" in page
    article = call(env, "click", element_id=sid("v1", "mv.link")).content
    assert f"URL: /help/{new}" in article
    assert "paragraph" in article


def test_redirect_and_plain_404() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v2"))
    page = call(env, "goto", url="/account").content
    assert "URL: /account/preferences" in page
    assert "Redirected from /account" in page
    page = call(env, "goto", url="/no/such/page").content
    assert "Page not found (404)" in page
    assert "We couldn't find /no/such/page" in page
    page = call(env, "goto", url="/products/P0000").content
    assert "Page not found (404)" in page


# ------------------------------------------------------------------ login wall


def test_login_wall_then_sign_in() -> None:
    env = WebEnv()
    task = task_where(2, "v1", logged_in=False)
    env.reset(task)
    page = call(env, "goto", url="/account/orders").content
    assert "URL: /login?next=%2Faccount%2Forders" in page
    assert "Please sign in to continue." in page
    wrong = call(env, "type", element_id=sid("v1", "lg.password"), text="guess123", submit=True)
    assert wrong.status == "ok"
    assert "Incorrect email or password." in wrong.content
    assert 'value="••••' not in wrong.content  # the password box is cleared after a failure
    password = env._state.account.password
    right = call(env, "type", element_id=sid("v1", "lg.password"), text=password, submit=True)
    assert "URL: /account/orders" in right.content
    assert "Order | Placed | Status" in right.content
    assert password not in right.content


# ------------------------------------------------------------------ checkout validation


def _to_checkout(env: WebEnv, version: str) -> None:
    task = task_of("buy", 2, version)
    env.reset(task)
    env._state.logged_in = True
    target = task.parameters["truth"]["target"]
    env._state.cart = []
    call(env, "goto", url=url_for(version, "product", target["product_id"]))
    if target["size"]:
        call(env, "select", element_id=sid(version, "pd.size"), option=target["size"])
    call(env, "click", element_id=sid(version, "pd.add"))
    call(env, "goto", url=url_for(version, "checkout"))


def test_checkout_rejects_zip_plus4_and_bad_card_then_accepts_fixes() -> None:
    env = WebEnv()
    _to_checkout(env, "v2")
    v = "v2"
    call(env, "type", element_id=sid(v, "co.zip"), text="62704-1234")
    call(env, "type", element_id=sid(v, "co.card"), text="4111111111111112")
    page = call(env, "click", element_id=sid(v, "co.continue")).content
    assert "URL: /checkout" in page
    assert "Error: ZIP code must be 5 digits." in page
    assert "Error: Card number is invalid." in page
    call(env, "type", element_id=sid(v, "co.zip"), text="62704")
    page = call(
        env, "type", element_id=sid(v, "co.card"), text=env._state.account.card_number, submit=True
    ).content
    assert "URL: /checkout/review" in page
    assert "Order total:" in page
    assert 'button "Pay now"' in page


def test_phone_required_site_shows_the_error() -> None:
    env = WebEnv()
    _to_checkout(env, "v3")
    env._state.rules.phone_required = True
    call(env, "type", element_id=sid("v3", "co.card"), text=env._state.account.card_number)
    page = call(env, "click", element_id=sid("v3", "co.continue")).content
    assert "Error: A phone number is required for delivery." in page
    call(env, "type", element_id=sid("v3", "co.phone"), text="(555) 010-2030")
    assert (
        "URL: /checkout/review" in call(env, "click", element_id=sid("v3", "co.continue")).content
    )


def test_level_3_tasks_hit_a_validation_error_if_the_instruction_is_taken_literally() -> None:
    env = WebEnv()
    task = task_of("buy_and_help", 3, "v1", quirk="zip_plus4")
    truth = task.parameters["truth"]
    zip4 = re.search(r"\b\d{5}-\d{4}\b", task.instruction or "")
    assert zip4 is not None
    assert zip4.group(0).startswith(truth["address"]["zip"])
    literal = [
        a
        if a.arguments.get("text") != truth["address"]["zip"]
        else type(a)(name=a.name, arguments={**a.arguments, "text": zip4.group(0)})
        for a in task.expected_actions
    ]
    results = run(env, task, literal)
    assert any("ZIP code must be 5 digits" in r.content for r in results)
    assert env.check(task).status == "partial"


# ------------------------------------------------------------------ elements and navigation


def test_find_locates_elements_by_meaning() -> None:
    env = WebEnv()
    task = task_of("cart_named", 1, "v2")
    env.reset(task)
    target = task.parameters["truth"]["target"]
    call(env, "goto", url=url_for("v2", "product", target["product_id"]))
    found = env.execute(ToolCall(name="find", arguments={"text": "add to cart"}))
    items = json.loads(found.content)
    assert {"id": sid("v2", "pd.add"), "role": "button", "label": "Add to basket"} in items
    cart = json.loads(call(env, "find", text="cart").content)
    assert any(i["id"] == sid("v2", "nav.cart") for i in cart)
    box = json.loads(call(env, "find", text="search box").content)
    assert box[0]["id"] == sid("v2", "hdr.q")
    assert box[0]["role"] == "textbox"
    assert json.loads(call(env, "find", text="xyzzy").content) == []
    assert call(env, "find", text="  ").status == "error"


def test_v3_account_links_hide_behind_the_menu() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v3"))
    page = call(env, "read_page").content
    orders = sid("v3", "nav.orders")
    assert f"[{orders}]" not in page
    assert 'button "Menu" expanded=false' in page
    opened = call(env, "click", element_id=sid("v3", "nav.menu")).content
    assert f'[{orders}] link "Order history"' in opened
    assert "expanded=true" in opened


def test_v2_account_links_live_in_the_footer() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v2"))
    lines = call(env, "read_page").content.splitlines()
    footer = next(i for i, line in enumerate(lines) if "footer" in line)
    orders = next(i for i, line in enumerate(lines) if f"[{sid('v2', 'nav.orders')}]" in line)
    assert orders > footer


def test_scroll_reveals_the_rest_of_a_long_page() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v2"))
    page = call(env, "goto", url="/find?category=running-shoes").content
    assert "more lines below (scroll down)" in page
    down = call(env, "scroll", direction="down").content
    assert down.startswith("scrolled down")
    assert "lines above (scroll up)" in down
    bottom = call(env, "scroll", direction="down").content
    assert bottom.startswith("already at the bottom")
    assert call(env, "scroll", direction="up").content.startswith("scrolled up")


def test_back_and_history() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    result = call(env, "back")
    assert result.status == "error"
    assert result.error_kind == "no_history"
    call(env, "goto", url="/help")
    call(env, "goto", url="/cart")
    assert "URL: /help" in call(env, "back").content
    assert "URL: /\n" in call(env, "back").content


def test_wrong_element_kinds_and_options() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    call(env, "goto", url="/search?q=")
    button = call(env, "type", element_id=sid("v1", "hdr.search"), text="x")
    assert button.status == "error"
    assert button.error_kind == "not_editable"
    box = call(env, "select", element_id=sid("v1", "hdr.q"), option="x")
    assert box.status == "error"
    assert box.error_kind == "not_selectable"
    bad = call(env, "select", element_id=sid("v1", "sr.sort"), option="Cheapest")
    assert bad.status == "error"
    assert "Price: low to high" in bad.content
    ok = call(env, "select", element_id=sid("v1", "sr.sort"), option="price: low to high")
    assert ok.status == "ok"
    assert "sort=price_asc" in ok.content


def test_out_of_stock_add_button_is_disabled() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    p = next(p for p in env._state.catalog.values() if not p.in_stock)
    page = call(env, "goto", url=f"/product/{p.id}").content
    assert f'[{sid("v1", "pd.add")}] button "Add to cart" disabled' in page
    result = call(env, "click", element_id=sid("v1", "pd.add"))
    assert result.status == "error"
    assert result.error_kind == "element_disabled"


def test_size_is_required_before_adding() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v1"))
    p = next(p for p in env._state.catalog.values() if p.sizes and p.in_stock)
    call(env, "goto", url=f"/product/{p.id}")
    page = call(env, "click", element_id=sid("v1", "pd.add")).content
    assert "Error: Please choose a size." in page
    assert env._state.cart == []


def test_filters_narrow_search_results() -> None:
    env = WebEnv()
    env.reset(task_where(1, "v3"))
    call(env, "goto", url="/products/search?category=backpacks")
    page = call(env, "select", element_id=sid("v3", "sr.max_price"), option="Under $50").content
    assert "max_price=50" in page
    prices = [float(m.replace(",", "")) for m in re.findall(r'text "\$([\d,]+\.\d\d) ·', page)]
    assert prices
    assert all(price <= 50 for price in prices)
    checked = call(env, "click", element_id=sid("v3", "sr.instock")).content
    assert "in_stock=1" in checked
    assert "Out of stock" not in checked


def test_submit_answer_records_the_last_answer() -> None:
    env = WebEnv()
    env.reset(generate_task(0, 1))
    assert call(env, "submit_answer", answer="  ").status == "error"
    call(env, "submit_answer", answer="first")
    call(env, "submit_answer", answer="second")
    assert "2 so far" in call(env, "submit_answer", answer="second").content
    assert env._state.answers == ["first", "second"]  # the same answer again changes nothing


def test_every_label_key_has_three_versions() -> None:
    assert all(len(values) == 3 for values in LABELS.values())
