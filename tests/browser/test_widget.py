"""The widget in a real Chromium against the real service.

Test pages are served on the server's own origin by Playwright routes (nothing in
static/ is a test page); the demo page is the real `/`. Screenshots of the open
list go to test-output/.
"""

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SEARCH_FORM = """
<form action="/__submitted__" method="get">
  <label for="q">Search</label>
  <input id="q" name="q" type="search">
  <button type="submit">Go</button>
</form>
<p><a href="#after" id="after">After</a></p>
"""

MOVIES = {
    "https://en.wikipedia.org/wiki/Guardians_of_the_Galaxy_(film)": "Guardians of the Galaxy",
    "https://en.wikipedia.org/wiki/The_Hobbit_5": "The Hobbit: The Battle of the Five Armies",
    "https://en.wikipedia.org/wiki/Transformers_4": "Transformers: Age of Extinction",
    "https://en.wikipedia.org/wiki/The_Grand_Budapest_Hotel": "The Grand Budapest Hotel",
    "https://en.wikipedia.org/wiki/The_Theory_of_Everything": "The Theory of Everything",
    "https://en.wikipedia.org/wiki/The_Imitation_Game": "The Imitation Game",
    "https://en.wikipedia.org/wiki/The_Lego_Movie": "The Lego Movie",
    "https://en.wikipedia.org/wiki/Les_Miserables": "Les Misérables",
    "https://en.wikipedia.org/wiki/Pokemon_Diancie": "Pokémon the Movie: Diancie",
}


def add_movies(site) -> None:
    documents = [
        {"url": url, "title": title, "popularity": len(MOVIES) - i}
        for i, (url, title) in enumerate(MOVIES.items())
    ]
    response = site.bulk(documents)
    assert response.status_code == 201, response.text


def single_widget(browsing, domain: str, options: str = "", **context):
    script = (
        f"window.widget = Autocompeter(document.getElementById('q'), "
        f"{{url: '/v1', domain: {json.dumps(domain)}{options}}});"
    )
    return browsing.open_widgets(SEARCH_FORM, script, **context)


def search_requests(page, q: str | None = None) -> list[str]:
    found = []
    for url in page.recorded.requests:
        parsed = urlparse(url)
        if parsed.path != "/v1" or not parsed.query:
            continue
        if q is None or parse_qs(parsed.query).get("q") == [q]:
            found.append(url)
    return found


def options(page, within: str = ""):
    return page.locator(f"{within} [role=option]".strip())


# ---- typing, results, highlighting ----------------------------------------------------


def test_typing_shows_results_from_the_service(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("guard")
    expect(options(page)).to_have_count(1)
    option = options(page).first
    expect(option).to_have_text("Guardians of the Galaxy")
    expect(option).to_have_attribute(
        "href", "https://en.wikipedia.org/wiki/Guardians_of_the_Galaxy_(film)"
    )
    expect(option.locator("mark")).to_have_text("Guard")
    assert page.recorded.errors == []


def test_highlights_prefixes_of_every_word_accent_insensitively(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    page.locator("#q").press_sequentially("les mise")
    option = options(page).first
    expect(option).to_have_text("Les Misérables")
    expect(option.locator("mark")).to_have_text(["Les", "Misé"])
    page.locator("#q").fill("pokemon movie")
    option = options(page).first
    expect(option).to_have_text("Pokémon the Movie: Diancie")
    expect(option.locator("mark")).to_have_text(["Pokémon", "Movie"])


def test_highlights_a_word_typed_joined_in_a_title_that_splits_it_and_back(browsing, site):
    # The server's terms name the parts of "Node.js" that `nodejs` spans, and the
    # joined "spiderman" that `spider man` found (core/search.py).
    response = site.bulk([{"url": "/node", "title": "Node.js streams"},
                          {"url": "/spider", "title": "Spiderman comics"}])
    assert response.status_code == 201, response.text
    page = single_widget(browsing, site.domain)
    page.locator("#q").press_sequentially("nodejs")
    expect(options(page)).to_have_text(["Node.js streams"])
    expect(options(page).first.locator("mark")).to_have_text(["Node", "js"])
    page.locator("#q").fill("spider man")
    expect(options(page)).to_have_text(["Spiderman comics"])
    expect(options(page).first.locator("mark")).to_have_text(["Spiderman"])


def test_xss_title_is_shown_literally(browsing, site):
    title = "<img src=x onerror=alert(1)> imgtrap <b>bold</b>"
    assert site.add("https://x.example/xss", title).status_code == 201
    assert site.add("javascript:alert(2)", "imgtrap javascript link").status_code in (201, 400)
    page = single_widget(browsing, site.domain)
    page.locator("#q").press_sequentially("imgtrap")
    expect(options(page)).to_have_count(1)  # the javascript: URL is never a link
    expect(options(page).first).to_have_text(title)
    assert page.locator("[role=listbox] img, [role=listbox] b").count() == 0
    page.wait_for_timeout(300)
    assert page.recorded.dialogs == []
    assert page.recorded.errors == []


# ---- ARIA --------------------------------------------------------------------------


def test_aria_combobox_states(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")

    # Collapsed.
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-autocomplete", "both")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    list_id = box.get_attribute("aria-controls")
    listbox = page.locator(f"#{list_id}")
    expect(listbox).to_have_attribute("role", "listbox")
    expect(listbox).to_be_hidden()
    status = page.locator(".autocompeter-status")
    expect(status).to_have_attribute("aria-live", "polite")

    # Expanded.
    box.press_sequentially("the")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox).to_be_visible()
    expect(options(page)).to_have_count(7)  # The ..., Theory, Pokémon the Movie
    expect(status).to_have_text("7 results")
    for i in range(7):
        expect(options(page).nth(i)).to_have_attribute("aria-selected", "false")
        expect(options(page).nth(i)).to_have_attribute("role", "option")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))

    # An active option.
    box.press("ArrowDown")
    first = options(page).first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(box).to_be_focused()

    # Collapsed again.
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))

    # No results: announced, list stays closed.
    box.fill("qqxzvkw")
    expect(status).to_have_text("No results")
    expect(box).to_have_attribute("aria-expanded", "false")


# ---- keyboard ----------------------------------------------------------------------


def test_arrow_keys_move_and_stop_at_the_ends(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("the")
    expect(options(page)).to_have_count(7)

    def active() -> int | None:
        selected = page.locator("[role=option][aria-selected=true]")
        if selected.count() == 0:
            return None
        assert selected.count() == 1
        return options(page).evaluate_all(
            "(els) => els.findIndex(e => e.getAttribute('aria-selected') === 'true')"
        )

    assert active() is None
    box.press("ArrowUp")  # nothing active: Up stays on the typed text
    assert active() is None
    for expected in [0, 1, 2, 3, 4, 5, 6, 6, 6]:
        box.press("ArrowDown")
        assert active() == expected
    for expected in [5, 4, 3, 2, 1, 0, None, None]:
        box.press("ArrowUp")
        assert active() == expected
    expect(box).to_have_value("the")


HOBBIT = "https://en.wikipedia.org/wiki/The_Hobbit_5"


def choose_the_hobbit(page) -> None:
    """Type "hobbit", move to its one result with the arrow key and press Enter."""
    box = page.locator("#q")
    box.press_sequentially("hobbit")
    expect(options(page)).to_have_count(1)
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")


def test_enter_follows_the_active_option(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    choose_the_hobbit(page)
    assert page.url == HOBBIT


def test_enter_without_an_active_option_submits_the_form(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    page.route(
        "**/__submitted__**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Submitted</title>"
        ),
    )
    box = page.locator("#q")
    box.press_sequentially("hobbit")
    expect(options(page)).to_have_count(1)
    with page.expect_navigation():
        box.press("Enter")
    assert urlparse(page.url).path == "/__submitted__"
    assert parse_qs(urlparse(page.url).query) == {"q": ["hobbit"]}


def test_escape_closes_then_clears(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("hobbit")
    listbox = page.locator("[role=listbox]")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("hobbit")
    box.press("ArrowDown")  # reopens
    expect(listbox).to_be_visible()
    box.press("Escape")
    box.press("Escape")
    expect(box).to_have_value("")
    expect(listbox).to_be_hidden()
    expect(box).to_be_focused()


def test_tab_accepts_the_inline_hint(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    hint = page.locator(".autocompeter-hint")
    box.press_sequentially("guar")
    expect(options(page)).to_have_count(1)
    expect(hint).to_be_visible()
    expect(hint).to_have_text("guardians")  # the typed part (invisible) and the rest
    expect(hint.locator(".autocompeter-hint-typed")).to_have_text("guar")
    box.press("Tab")
    expect(box).to_have_value("Guardians")
    expect(box).to_be_focused()
    expect(hint).to_be_hidden()  # the word is complete now

    # Tab with no hint behaves normally: focus moves on.
    box.press("Tab")
    expect(page.locator("button[type=submit]")).to_be_focused()


def test_hint_box_lines_up_with_the_input(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("trans")
    hint = page.locator(".autocompeter-hint")
    expect(hint).to_be_visible()
    a, b = box.bounding_box(), hint.bounding_box()
    for key in ("x", "y", "width", "height"):
        assert abs(a[key] - b[key]) < 1, (key, a, b)
    # The typed part in the hint ends where the typed text ends in the input.
    typed = hint.locator(".autocompeter-hint-typed").bounding_box()
    assert typed["x"] > a["x"]


# ---- mouse, touch, outside clicks --------------------------------------------------


def test_mouse_click_follows_the_link(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    page.locator("#q").press_sequentially("grand")
    option = options(page).first
    expect(option).to_have_text("The Grand Budapest Hotel")
    option.hover()
    with page.expect_navigation():
        option.click()
    assert page.url == "https://en.wikipedia.org/wiki/The_Grand_Budapest_Hotel"


def test_select_event_can_take_over(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    page.evaluate("""() => document.getElementById('q').addEventListener(
        'autocompeter:select', (e) => { e.preventDefault(); window.chosen = e.detail; })""")
    box = page.locator("#q")
    box.press_sequentially("lego")
    expect(options(page)).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator("[role=listbox]")).to_be_hidden()
    assert page.evaluate("window.chosen") == {
        "url": "https://en.wikipedia.org/wiki/The_Lego_Movie",
        "title": "The Lego Movie",
    }
    assert urlparse(page.url).path == "/__test__"


def test_click_outside_closes(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("hobbit")
    listbox = page.locator("[role=listbox]")
    expect(listbox).to_be_visible()
    page.mouse.click(5, 400)
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.click()  # focus again: the cached results come back without a request
    expect(listbox).to_be_visible()
    assert len(search_requests(page, "hobbit")) == 1


def test_touch_tap_follows_the_link(browsing, site):
    add_movies(site)
    page = single_widget(
        browsing,
        site.domain,
        viewport={"width": 360, "height": 740},
        has_touch=True,
        is_mobile=True,
    )
    page.locator("#q").tap()
    page.locator("#q").press_sequentially("imitation")
    option = options(page).first
    expect(option).to_have_text("The Imitation Game")
    with page.expect_navigation():
        option.tap()
    assert page.url == "https://en.wikipedia.org/wiki/The_Imitation_Game"


# ---- requests: cache, stale responses, values that found nothing, ping, errors ------


def test_one_request_per_distinct_trimmed_value(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.fill("hobbit")
    expect(options(page)).to_have_count(1)
    box.fill("hobbit  ")
    box.fill("  hobbit")
    with page.expect_response(lambda r: parse_qs(urlparse(r.url).query).get("q") == ["hob"]):
        box.fill("hob")
    expect(options(page)).to_have_count(1)
    box.fill("hobbit")
    page.wait_for_timeout(300)
    assert len(search_requests(page, "hobbit")) == 1
    assert len(search_requests(page, "hob")) == 1



def hold_answer(page, box, q: str):
    """Type ``q`` and hold the widget's request for it: the route, to answer later."""
    held = []

    def hold(route) -> None:
        if parse_qs(urlparse(route.request.url).query).get("q") == [q]:
            held.append(route)
        else:
            route.fallback()

    page.route(re.compile(r"/v1\?"), hold)
    box.fill(q)
    deadline = time.monotonic() + 5
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, f"the request for {q!r} never came"
    return held[0]

def test_stale_response_is_discarded(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    box = page.locator("#q")
    held = hold_answer(page, box, "gu")  # answered later, after the newer value's results

    box.fill("guardians")
    expect(options(page)).to_have_text(["Guardians of the Galaxy"])
    # Now the old answer arrives (if the browser still listens): it must not win.
    stale = {"terms": ["gu"], "results": [["https://stale.example/", "Gu STALE result"]]}
    with contextlib.suppress(Exception):  # already aborted by the widget: fine too
        held.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps(stale),
            headers={"Access-Control-Allow-Origin": "*"},
        )
    page.wait_for_timeout(500)
    expect(options(page)).to_have_text(["Guardians of the Galaxy"])
    expect(page.locator("[role=listbox]")).not_to_contain_text("STALE")
    assert any("q=gu&" in url for url in failed), failed  # the old request was aborted


def test_late_answer_for_an_old_value_is_ignored(browsing, site):
    """Even an answer that is not aborted is dropped if its value left the box."""
    add_movies(site)
    page = single_widget(browsing, site.domain)
    # Make abort() a no-op, so only the value check can keep the stale answer out.
    page.evaluate("() => { AbortController.prototype.abort = function () {}; }")
    box = page.locator("#q")
    held = hold_answer(page, box, "lego")
    box.fill("hobbit")
    expect(options(page)).to_have_text(["The Hobbit: The Battle of the Five Armies"])
    held.fallback()
    page.wait_for_timeout(500)
    expect(options(page)).to_have_text(["The Hobbit: The Battle of the Five Armies"])


def test_a_value_that_found_nothing_does_not_stop_the_widget(browsing, site):
    """A longer value is asked: the server may drop a word that matches nothing."""
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    status = page.locator(".autocompeter-status")
    box.fill("qqxzvkw")
    expect(status).to_have_text("No results")
    box.press_sequentially(" hobbit")
    expect(options(page)).to_have_text(["The Hobbit: The Battle of the Five Armies"])
    expect(options(page).locator("mark")).to_have_text(["Hobbit"])
    assert len(search_requests(page, "qqxzvkw hobbit")) == 1
    # Back to the value that found nothing: its own answer is known, not asked again.
    box.fill("qqxzvkw")
    expect(status).to_have_text("No results")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.wait_for_timeout(300)  # three times the debounce: a request would have gone
    assert len(search_requests(page, "qqxzvkw")) == 1


def test_no_request_without_letters_or_digits(browsing, site):
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially(" .-! ")
    page.wait_for_timeout(300)
    assert search_requests(page) == []
    assert page.recorded.errors == []


def test_ping_once_on_first_focus(browsing, site):
    page = single_widget(browsing, site.domain)
    pings = lambda: [u for u in page.recorded.requests if urlparse(u).path == "/v1/ping"]  # noqa: E731
    page.wait_for_timeout(200)
    assert pings() == []
    page.locator("#q").focus()
    page.wait_for_timeout(300)
    assert len(pings()) == 1
    page.locator("#after").focus()
    page.locator("#q").focus()
    page.wait_for_timeout(300)
    assert len(pings()) == 1

    quiet = single_widget(browsing, site.domain, ", ping: false")
    quiet.locator("#q").focus()
    quiet.wait_for_timeout(300)
    assert [u for u in quiet.recorded.requests if urlparse(u).path == "/v1/ping"] == []


def test_groups_option(browsing, site):
    assert site.add("https://x.example/public", "Handbook for everyone").status_code == 201
    assert (
        site.add("https://x.example/staff", "Handbook for staff", group="staff").status_code == 201
    )
    page = single_widget(browsing, site.domain, ", groups: 'staff,other', number: 5")
    page.locator("#q").press_sequentially("handbook")
    expect(options(page)).to_have_count(2)
    url = search_requests(page, "handbook")[0]
    assert parse_qs(urlparse(url).query)["g"] == ["staff,other"]
    assert parse_qs(urlparse(url).query)["n"] == ["5"]

    public = single_widget(browsing, site.domain)
    public.locator("#q").press_sequentially("handbook")
    expect(options(public)).to_have_text(["Handbook for everyone"])


def test_token_option_opens_a_private_group(browsing, site):
    from core.tokens import mint

    assert site.add("https://x.example/public", "Rota for everyone").status_code == 201
    assert site.add("https://x.example/staff", "Rota for staff", group="staff").status_code == 201
    secret = site.client.put("/v1/groups", json={"private": ["staff"]},
                             headers=site.auth).json()["token_secret"]
    token = mint(secret, site.domain, ["staff"], int(time.time()) + 600)
    page = single_widget(browsing, site.domain,
                         f", groups: 'staff', token: {json.dumps(token)}")
    page.locator("#q").press_sequentially("rota")
    expect(options(page)).to_have_count(2)
    assert parse_qs(urlparse(search_requests(page, "rota")[0]).query)["t"] == [token]

    without = single_widget(browsing, site.domain, ", groups: 'staff'")
    without.locator("#q").press_sequentially("rota")
    expect(options(without)).to_have_text(["Rota for everyone"])


def test_service_errors_hide_the_list_and_warn_once(browsing):
    page = single_widget(browsing, "no-such-domain.example")
    box = page.locator("#q")
    box.press_sequentially("abc")
    page.wait_for_timeout(500)
    expect(page.locator("[role=listbox]")).to_be_hidden()
    mine = [w for w in page.recorded.warnings if w.startswith("Autocompeter")]
    assert len(mine) == 1, page.recorded.warnings
    assert [e for e in page.recorded.errors if e.startswith("pageerror")] == []


def test_network_error_hides_the_list_quietly(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain)
    box = page.locator("#q")
    box.press_sequentially("hobbit")
    expect(options(page)).to_have_count(1)
    page.route(re.compile(r"/v1\?"), lambda route: route.abort("connectionrefused"))
    box.fill("guardians")
    expect(page.locator("[role=listbox]")).to_be_hidden()
    box.fill("lego")
    page.wait_for_timeout(300)
    mine = [w for w in page.recorded.warnings if w.startswith("Autocompeter")]
    assert len(mine) == 1, page.recorded.warnings
    assert [e for e in page.recorded.errors if e.startswith("pageerror")] == []


# ---- several widgets, loading styles -----------------------------------------------


def test_two_widgets_with_different_domains_do_not_interfere(browsing, site, other_site):
    assert site.add("https://one.example/a", "Alpha apples").status_code == 201
    assert other_site.add("https://two.example/a", "Alpha avocados").status_code == 201
    body = """
      <label for="one">One</label> <input id="one" type="search">
      <label for="two">Two</label> <input id="two" type="search">
    """
    script = (
        f"Autocompeter(document.getElementById('one'), {{domain: '{site.domain}'}});"
        f"Autocompeter(document.getElementById('two'), {{domain: '{other_site.domain}'}});"
    )
    page = browsing.open_widgets(body, script)
    one, two = page.locator("#one"), page.locator("#two")
    list_one = page.locator("#" + one.get_attribute("aria-controls"))
    list_two = page.locator("#" + two.get_attribute("aria-controls"))
    assert one.get_attribute("aria-controls") != two.get_attribute("aria-controls")

    one.press_sequentially("alpha")
    expect(list_one.locator("[role=option]")).to_have_text(["Alpha apples"])
    expect(list_two).to_be_hidden()

    two.press_sequentially("alpha")
    expect(list_two.locator("[role=option]")).to_have_text(["Alpha avocados"])
    expect(list_one).to_be_hidden()
    two.press("ArrowDown")
    expect(two).to_have_attribute(
        "aria-activedescendant", list_two.locator("[role=option]").first.get_attribute("id")
    )
    expect(one).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    # Each keeps its own cache: back in the first box, the first domain's titles.
    one.focus()
    expect(list_one.locator("[role=option]")).to_have_text(["Alpha apples"])
    assert page.evaluate("Object.keys(window).filter(k => k.startsWith('Autocompeter'))") == [
        "Autocompeter"
    ]
    assert page.recorded.errors == []


def test_loads_with_defer_and_as_an_es_module(browsing, site):
    add_movies(site)
    page = browsing.new_page()
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script src="/static/autocompeter.js" defer></script>
<script type="module">
  import Widget from '/static/autocompeter.mjs';
  Widget(document.getElementById('m'), {{domain: '{site.domain}'}});
</script>
<script src="/static/deferred-init.js" defer></script>
</head><body><label>Deferred <input id="d"></label><label>Module <input id="m"></label>
</body></html>"""
    base = browsing.server.base_url
    page.route(
        base + "/__test__",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.route(
        base + "/static/deferred-init.js",
        lambda route: route.fulfill(
            status=200,
            content_type="text/javascript",
            body=f"Autocompeter(document.getElementById('d'), {{domain: '{site.domain}'}});",
        ),
    )
    page.goto(base + "/__test__")
    for box in ("#d", "#m"):
        page.locator(box).press_sequentially("lego")
        expect(
            page.locator(f"#{page.locator(box).get_attribute('aria-controls')} [role=option]")
        ).to_have_text(["The Lego Movie"])
    assert page.recorded.errors == []


# ---- the demo page -----------------------------------------------------------------


def open_demo(browsing, **context):
    page = browsing.new_page(**context)
    page.goto(browsing.server.base_url + "/")
    return page


def test_demo_page_searches_the_demo_domain(browsing, demo_domain, output_dir):
    page = open_demo(browsing, viewport={"width": 1024, "height": 720})
    expect(page).to_have_title("Autocompeter")
    box = page.get_by_role("combobox")
    expect(box).to_have_count(1)
    box.press_sequentially("guardians gal")
    expect(options(page).first).to_have_text("Guardians of the Galaxy")
    expect(page.locator(".autocompeter-hint")).to_have_text("guardians galaxy")
    page.screenshot(
        path=output_dir / "widget-hint.png", clip={"x": 0, "y": 200, "width": 1024, "height": 240}
    )
    box.press("ArrowDown")
    box.press("ArrowDown")
    page.screenshot(path=output_dir / "widget-open.png")
    assert all(urlparse(u).path != "/v1" or "d=demo" in u for u in page.recorded.requests)
    assert page.recorded.errors == []


def test_demo_page_has_no_inline_scripts_or_styles_and_runs_under_csp(browsing, demo_domain):
    page = browsing.new_page()
    base = browsing.server.base_url
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'"
    )

    def with_csp(route) -> None:
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": csp}
        )

    page.route(base + "/", with_csp)
    page.goto(base + "/")
    inline = "document.querySelectorAll('script:not([src]), style, [style]').length"
    assert page.evaluate(inline) == 0
    assert page.evaluate(
        "[...document.querySelectorAll('script[src], link[href], img[src]')]"
        ".every(e => new URL(e.src || e.href).origin === location.origin)"
    )
    page.get_by_role("combobox").press_sequentially("hobbit")
    expect(options(page).first).to_contain_text("Hobbit")
    assert page.recorded.errors == []


def test_demo_page_axe_scan_with_the_list_open(browsing, demo_domain, axe_scan, output_dir):
    for scheme in ("light", "dark"):
        # The page's own CSP (script-src 'self') would block the injected axe
        # script; bypassing it changes nothing axe looks at. The other demo
        # tests run under the real CSP and fail on any console error.
        page = open_demo(browsing, color_scheme=scheme, bypass_csp=True)
        box = page.get_by_role("combobox")
        box.press_sequentially("the")
        expect(options(page).first).to_be_visible()
        box.press("ArrowDown")
        if scheme == "dark":
            page.screenshot(path=output_dir / "demo-dark.png")
        violations = axe_scan(page)
        assert violations == [], f"{scheme}: " + json.dumps(violations, indent=2)


@pytest.mark.parametrize(
    ("name", "context"),
    [
        (
            "demo-mobile",
            {
                "viewport": {"width": 360, "height": 740},
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
            },
        ),
        # 200% zoom of a 1280x800 window: half the CSS pixels, twice the device pixels.
        ("demo-zoom200", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}),
    ],
)
def test_demo_list_stays_in_the_viewport(browsing, demo_domain, output_dir, name, context):
    page = open_demo(browsing, **context)
    box = page.get_by_role("combobox")
    box.press_sequentially("the hobbit battle five")
    expect(options(page).first).to_be_visible()
    box.fill("the")
    expect(options(page)).to_have_count(10)
    width = context["viewport"]["width"]
    listbox = page.get_by_role("listbox").bounding_box()
    assert listbox["x"] >= 0 and listbox["x"] + listbox["width"] <= width, listbox
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for option in options(page).all()[:3]:
        b = option.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= width, b
    box.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=output_dir / f"{name}.png")
    assert page.recorded.errors == []


# ---- click feedback (POST /v1/click) --------------------------------------------------


def clicks_of(site) -> dict[str, int]:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return {entry["url"]: entry["clicks"] for entry in response.json()["top_clicks"]}


def wait_for_clicks(site, expected: dict[str, int]) -> None:
    """The service's workers write clicks every 0.2 s in the tests: wait for the state."""
    deadline = time.monotonic() + 15
    while (found := clicks_of(site)) != expected:
        assert time.monotonic() < deadline, f"clicks {found}, expected {expected}"
        time.sleep(0.05)


@contextlib.contextmanager
def widget_on_another_site(browsing, domain: str, init_script: str = "") -> Iterator:
    """The widget as a site embeds it: its page served by the site (a real HTTP server
    on another port: another origin), the script, the searches and the click beacon
    from the service, cross-origin. (A page on a made-up public origin would be
    refused loopback access by Chromium's Private Network Access rules.)"""
    base = browsing.server.base_url
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Site</title>
<script src="{base}/static/autocompeter.js"></script></head>
<body><main>{SEARCH_FORM}</main><script>
Autocompeter(document.getElementById('q'), {{url: '{base}/v1', domain: {json.dumps(domain)}}});
</script></body></html>""".encode()

    class SitePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SitePage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        origin = f"http://127.0.0.1:{httpd.server_address[1]}"
        page = browsing.new_page(origins=(origin,))
        if init_script:
            page.add_init_script(init_script)
        page.goto(origin + "/search")
        yield page
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_enter_on_a_result_reports_the_click_with_a_beacon(browsing, site):
    add_movies(site)
    beacons: list = []
    with widget_on_another_site(browsing, site.domain) as page:
        page.on("request", lambda request: beacons.append(request)
                if request.url.endswith("/v1/click") else None)
        choose_the_hobbit(page)
        assert page.url == HOBBIT
        assert page.recorded.errors == []
    wait_for_clicks(site, {HOBBIT: 1})
    # Sent by navigator.sendBeacon (a "ping" to the browser), as text/plain: no preflight.
    assert [(b.method, b.resource_type) for b in beacons] == [("POST", "ping")]
    assert beacons[0].headers["content-type"].startswith("text/plain")
    assert json.loads(beacons[0].post_data) == {"d": site.domain, "q": "hobbit", "url": HOBBIT}


def test_without_sendbeacon_a_mouse_click_is_reported_by_fetch(browsing, site):
    add_movies(site)
    with widget_on_another_site(browsing, site.domain,
                                init_script="delete Navigator.prototype.sendBeacon;") as page:
        assert page.evaluate("typeof navigator.sendBeacon") == "undefined"
        page.locator("#q").press_sequentially("grand")
        option = options(page).first
        expect(option).to_have_text("The Grand Budapest Hotel")
        option.hover()
        with page.expect_navigation():
            option.click()
        assert page.recorded.errors == []
    wait_for_clicks(site, {"https://en.wikipedia.org/wiki/The_Grand_Budapest_Hotel": 1})


def test_the_clicks_option_turns_reporting_off(browsing, site):
    add_movies(site)
    page = single_widget(browsing, site.domain, ", clicks: false")
    page.locator("#q").press_sequentially("lego")
    option = options(page).first
    expect(option).to_have_text("The Lego Movie")
    with page.expect_navigation():
        option.click()
    assert [url for url in page.recorded.requests if url.endswith("/v1/click")] == []
