"""The widget's query-suggestions group (issue 28, item 2) in a real Chromium.

The titles come from the real service. The `suggestions` key of its answers is
added on the wire by a Playwright route (`serve_suggestions`): the service's part of
the feature was being built in parallel, so these tests pin the widget to the wire
format only (`&s=N` asked -> `"suggestions": [...]`, at most N; never without `s`),
as the network-error tests in test_widget.py fake a failure with a route. What is
faked is said at each use; everything else (the page, the widget, its requests, the
titles) is real.
"""

import json
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from answering_workers import worker_of
from playwright.sync_api import expect
from test_widget import HOBBIT, SEARCH_FORM, add_movies, options, search_requests, single_widget

pytestmark = pytest.mark.browser

# What the (faked) service suggests for a typed query, most popular first.
POPULAR = {
    "the": ["the hobbit", "the lego movie", "the grand budapest"],
    "hob": ["hobbit battle"],
    "qqxzvkw": ["the hobbit"],  # finds no titles: the group shows alone
}


def serve_suggestions(page, popular: dict[str, list[str]] = POPULAR) -> list[str]:
    """FAKE (the service's suggestions part): adds `suggestions` to the real service's
    search answers, as the wire format says: only when `s` is asked, at most `s`.
    Returns the search URLs seen, in order."""
    seen: list[str] = []

    def handle(route) -> None:
        asked = parse_qs(urlparse(route.request.url).query)
        seen.append(route.request.url)
        response = route.fetch()
        body = response.json()
        if "s" in asked and response.ok:
            body["suggestions"] = popular.get(asked["q"][0], [])[: int(asked["s"][0])]
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/v1\?"), handle)
    return seen


def widget_with_suggestions(browsing, site, options_js: str = "", **context):
    add_movies(site)
    page = single_widget(browsing, site.domain, options_js, **context)
    serve_suggestions(page)
    return page


def group(page, name: str):
    return page.get_by_role("listbox").get_by_role("group", name=name)


def active_index(page) -> int | None:
    """The index of the active option among all options of the list, in order."""
    index = options(page).evaluate_all(
        "(els) => els.findIndex(e => e.getAttribute('aria-selected') === 'true')"
    )
    return None if index < 0 else index


# ---- the group ---------------------------------------------------------------------


def test_suggestions_show_as_a_labelled_group_above_the_titles(browsing, site):
    page = widget_with_suggestions(browsing, site)
    page.locator("#q").press_sequentially("the")
    popular, titles = group(page, "Popular searches"), group(page, "Titles")
    expect(options(popular)).to_have_text(["the hobbit", "the lego movie", "the grand budapest"])
    expect(options(titles)).to_have_count(7)
    # One listbox: the suggestions first, then the titles, every option in a group.
    listbox = page.get_by_role("listbox")
    expect(listbox.locator(":scope > *")).to_have_count(2)
    expect(listbox.locator(":scope > [role=group]")).to_have_count(2)
    expect(options(page)).to_have_count(10)
    label = page.locator(".autocompeter-label").first
    expect(label).to_be_visible()
    expect(label).to_have_text("Popular searches")
    label_box, last_suggestion = label.bounding_box(), options(popular).last.bounding_box()
    first_title = options(titles).first.bounding_box()
    assert label_box["y"] < last_suggestion["y"] < first_title["y"]
    # The typed words' prefixes are marked in suggestions as in titles.
    expect(options(popular).first.locator("mark")).to_have_text(["the"])
    expect(options(titles).first).to_have_text("Guardians of the Galaxy")
    expect(options(titles).first.locator("mark")).to_have_text(["the"])
    expect(page.locator(".autocompeter-status")).to_have_text("7 results")
    assert page.recorded.errors == []


def test_labels_are_options(browsing, site):
    page = widget_with_suggestions(
        browsing, site, ", suggestionsLabel: 'Others searched', titlesLabel: 'Pages'"
    )
    page.locator("#q").press_sequentially("the")
    expect(options(group(page, "Others searched"))).to_have_count(3)
    expect(options(group(page, "Pages"))).to_have_count(7)


def test_without_suggestions_the_titles_are_not_grouped(browsing, site):
    page = widget_with_suggestions(browsing, site)
    page.locator("#q").press_sequentially("guard")
    expect(options(page)).to_have_text(["Guardians of the Galaxy"])
    expect(page.get_by_role("group")).to_have_count(0)
    expect(page.locator(".autocompeter-label")).to_have_count(0)


def test_suggestions_without_titles_show_alone(browsing, site):
    page = widget_with_suggestions(browsing, site)
    box = page.locator("#q")
    box.press_sequentially("qqxzvkw")
    expect(options(group(page, "Popular searches"))).to_have_text(["the hobbit"])
    expect(page.get_by_role("group")).to_have_count(1)  # no empty "Titles"
    expect(box).to_have_attribute("aria-expanded", "true")


def test_the_suggestions_count_is_asked_with_s(browsing, site):
    add_movies(site)
    for options_js, expected in (("", "3"), (", suggestions: 1", "1")):
        page = single_widget(browsing, site.domain, options_js)
        serve_suggestions(page)
        page.locator("#q").press_sequentially("the")
        expect(options(page).first).to_be_visible()
        asked = [parse_qs(urlparse(url).query) for url in search_requests(page)]
        assert asked and all(query["s"] == [expected] for query in asked), asked
        expect(options(group(page, "Popular searches"))).to_have_count(int(expected))


def test_suggestions_0_never_sends_s_and_shows_no_group(browsing, site):
    page = widget_with_suggestions(browsing, site, ", suggestions: 0")
    page.locator("#q").press_sequentially("the")
    expect(options(page)).to_have_count(7)
    requests = search_requests(page)
    assert requests and all("s" not in parse_qs(urlparse(url).query) for url in requests)
    expect(page.get_by_role("group")).to_have_count(0)


# ---- keyboard and choosing ---------------------------------------------------------


def test_arrow_keys_go_through_suggestions_then_titles(browsing, site):
    page = widget_with_suggestions(browsing, site)
    box = page.locator("#q")
    box.press_sequentially("the")
    expect(options(page)).to_have_count(10)
    assert active_index(page) is None
    for expected in [*range(10), 9]:  # 3 suggestions, 7 titles, stopping at the last
        box.press("ArrowDown")
        assert active_index(page) == expected
        active = options(page).nth(expected)
        expect(box).to_have_attribute("aria-activedescendant", active.get_attribute("id"))
    for expected in [8, 7, 6, 5, 4, 3, 2, 1, 0]:
        box.press("ArrowUp")
        assert active_index(page) == expected
    box.press("ArrowUp")
    assert active_index(page) is None
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(box).to_have_value("the")
    expect(box).to_be_focused()


def wait_for_search(page, q: str, choose: Callable[[], None]) -> None:
    with page.expect_request(lambda r: parse_qs(urlparse(r.url).query).get("q") == [q]):
        choose()


def test_enter_on_a_suggestion_fills_the_box_and_searches_it(browsing, site):
    page = widget_with_suggestions(browsing, site)
    box = page.locator("#q")
    box.press_sequentially("the")
    expect(options(page)).to_have_count(10)
    url = page.url
    box.press("ArrowDown")
    wait_for_search(page, "the hobbit", lambda: box.press("Enter"))
    expect(box).to_have_value("the hobbit")
    expect(box).to_be_focused()
    # "the hobbit" has no suggestions of its own: its titles show ungrouped.
    expect(options(page)).to_have_text(["The Hobbit: The Battle of the Five Armies"])
    expect(page.get_by_role("group")).to_have_count(0)
    assert page.url == url  # a suggestion searches, it does not navigate
    assert page.recorded.errors == []


def test_clicking_a_suggestion_fills_the_box_and_searches_it(browsing, site):
    page = widget_with_suggestions(browsing, site)
    box = page.locator("#q")
    box.press_sequentially("the")
    suggestion = options(group(page, "Popular searches")).nth(1)
    wait_for_search(page, "the lego movie", suggestion.click)
    expect(box).to_have_value("the lego movie")
    expect(box).to_be_focused()
    expect(options(page)).to_have_text(["The Lego Movie"])


def test_choosing_a_title_below_the_suggestions_navigates(browsing, site):
    page = widget_with_suggestions(browsing, site)
    box = page.locator("#q")
    box.press_sequentially("hob")
    expect(options(page)).to_have_text(
        ["hobbit battle", "The Hobbit: The Battle of the Five Armies"]
    )
    box.press("ArrowDown")
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url == HOBBIT


# ---- accessibility -----------------------------------------------------------------


def test_axe_clean_with_the_suggestions_group_open(browsing, site, axe_scan, output_dir):
    add_movies(site)
    # A whole page, as axe checks pages: a heading, the form, the widget.
    script = f"Autocompeter('#q', {{url: '/v1', domain: {json.dumps(site.domain)}}});"
    for scheme in ("light", "dark"):
        page = browsing.open_widgets(
            "<h1>Search the films</h1>" + SEARCH_FORM, script, color_scheme=scheme
        )
        serve_suggestions(page)
        box = page.locator("#q")
        box.press_sequentially("the")
        expect(options(page)).to_have_count(10)
        box.press("ArrowDown")  # a suggestion active
        violations = axe_scan(page)
        for _ in range(3):
            box.press("ArrowDown")  # then a title
        expect(options(group(page, "Titles")).first).to_have_attribute("aria-selected", "true")
        violations += axe_scan(page)
        assert violations == [], f"{scheme}: " + json.dumps(violations, indent=2)
        page.screenshot(path=output_dir / f"widget-suggestions-{scheme}.png")


# ---- end to end: the real service's suggestions, no fake ----------------------------

WORKERS = 2  # tests/live.py start_server's default
PATIENCE = 30.0
"""Seconds to wait for what the service does in the background: an intent counts once
its burst has paused (3 s) and every worker has written it (tests/conformance/
test_intents.py), then each worker builds the domain's suggestions."""


def wait_until(what: str, ready: Callable[[], object]) -> object:
    deadline = time.monotonic() + PATIENCE
    while not (found := ready()):
        assert time.monotonic() < deadline, f"waited {PATIENCE} s for {what}"
        time.sleep(0.1)
    return found


def top_queries(site) -> dict[str, int]:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return {entry["q"]: entry["count"] for entry in response.json()["top_queries"]}


def test_what_visitors_typed_in_the_widget_is_suggested_to_the_next(browsing, site):
    """Two visitors type "python testing" in the widget; the service counts their
    intents and builds its suggestions; a third visitor typing "te" sees it in the
    group, chooses it, and gets its titles. Nothing faked."""
    documents = [
        {"url": "https://docs.example/testing", "title": "Python testing tips"},
        {"url": "https://docs.example/tests", "title": "Testing with pytest"},
    ]
    assert site.bulk(documents).status_code == 201
    # The first visitors ask for no suggestions: a worker builds a domain's index at the
    # first search that asks and then every 60 s (app/http/suggestions.py), so one built
    # before their intents count would hold the test a minute.
    for visitor in ("one", "two"):  # told apart by the user agent (no cookies)
        page = single_widget(
            browsing, site.domain, ", suggestions: 0", user_agent=f"Chromium visitor {visitor}"
        )
        page.locator("#q").press_sequentially("python testing")
        expect(options(page)).to_have_text(["Python testing tips"])
    wait_until("two intents", lambda: top_queries(site).get("python testing") == 2)
    # Every worker builds its own suggestions after a search asks for them: ask on new
    # connections until each worker has answered with them.
    built: set[str] = set()

    def each_worker_suggests() -> bool:
        answer = httpx.get(
            site.server.base_url + "/v1",
            params={"d": site.domain, "q": "te", "s": 3},
            headers={"Connection": "close"},
        )
        if answer.json().get("suggestions") == ["python testing"]:
            built.add(worker_of(answer))
        return len(built) == WORKERS

    wait_until("every worker's suggestions", each_worker_suggests)

    page = single_widget(browsing, site.domain, user_agent="Chromium visitor three")
    box = page.locator("#q")
    box.press_sequentially("te")
    popular = group(page, "Popular searches")
    expect(options(popular)).to_have_text(["python testing"])
    expect(options(popular).first.locator("mark")).to_have_text(["te"])
    expect(options(group(page, "Titles"))).to_have_count(2)
    box.press("ArrowDown")
    wait_for_search(page, "python testing", lambda: box.press("Enter"))
    expect(box).to_have_value("python testing")
    expect(options(page)).to_have_text(["Python testing tips"])
    assert page.recorded.errors == []
