"""Typing into the README's snippet as a visitor does: real key presses, with pauses.

The widget must ask whenever the server could still answer (issue 24, item 3): a
value that found nothing is no reason to skip a longer one, because the server
corrects a longer word (`pyhton` finds "Python", `pyh` finds nothing) and drops a
word that matches nothing (`python gui`), and it must keep its requests bounded
while the visitor types fast. The snippet is run as written, from a page on
another origin, with only the service's address and the domain replaced.
"""

from itertools import pairwise
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from test_snippets import DOMAIN, ROOT, SERVICE, open_site_page, search_requests, the_widget_snippet

pytestmark = pytest.mark.browser

PYTHON = ["Python documentation", "Python tutorial"]
CONFIGURATION = ["Configuration files"]
TITLES = [
    *PYTHON,
    *CONFIGURATION,
    "Guardians of the Galaxy",
    "The Hobbit: The Battle of the Five Armies",
]
# About 80 words a minute: a key every 150 ms (Playwright waits that long
# between a key's down and up; the next key follows at once).
TYPING_DELAY_MS = 150
# A burst faster than anyone types a word, so the widget's debounce decides.
FAST_DELAY_MS = 15
DEBOUNCE_MS = 100  # the widget's default `delay` option (docs/widget.md)


@pytest.fixture
def typing_site(site):
    """A domain of its own with the titles above, the more popular first."""
    documents = [
        {"url": f"https://{site.domain}/{i}", "title": title, "popularity": len(TITLES) - i}
        for i, title in enumerate(TITLES)
    ]
    response = site.bulk(documents)
    assert response.status_code == 201, response.text
    return site


def readme_snippet_page(browsing, other_origin, domain: str, name: str, options: str = ""):
    """The README's snippet on a page of another origin, searching `domain`.

    `options` is added to the snippet's options (", delay: 600").
    """
    snippet = the_widget_snippet(ROOT / "README.md")
    pasted = snippet.replace(SERVICE, browsing.server.base_url).replace(
        f"domain: '{DOMAIN}'", f"domain: '{domain}'{options}")
    assert pasted.count(f"'{domain}'") == 1
    page = open_site_page(browsing, other_origin, "", pasted, f"/typing-{name}.html")
    # When each value reached the box: the pauses the debounce may send a request in.
    page.evaluate("""() => {
        window.inputTimes = [];
        document.querySelector('#search').addEventListener(
            'input', () => window.inputTimes.push(performance.now()));
    }""")
    return page


def queries(page) -> list[str]:
    return [parse_qs(urlparse(url).query)["q"][0] for url in search_requests(page)]


def pauses(page, debounce_ms: int) -> int:
    """How often the visitor paused at least `debounce_ms` between two keys.

    The widget asks only once the box stayed unchanged that long (a timer never
    fires early; 2 ms for the clocks' rounding), so it sends at most this many
    requests while typing, and one more at the end.
    """
    times = page.evaluate("window.inputTimes")
    return sum(1 for a, b in pairwise(times) if b - a >= debounce_ms - 2)


@pytest.mark.parametrize(("typed", "found"), [("pyhton", PYTHON),
                                              ("cofniguration", CONFIGURATION)])
def test_a_typo_in_the_first_letters_shows_the_corrected_titles(
    browsing, other_origin, typing_site, typed, found
):
    # The premise: the first three letters find nothing (shorter words are taken
    # as typed), so a widget that stops asking after a value that found nothing
    # never sends the whole word.
    assert typing_site.urls(typed[:3]) == []
    page = readme_snippet_page(browsing, other_origin, typing_site.domain, typed)
    page.get_by_role("combobox").press_sequentially(typed, delay=TYPING_DELAY_MS)
    expect(page.locator("[role=option]")).to_have_text(found)
    sent = queries(page)
    assert sent[-1] == typed
    assert len(sent) <= len(typed), sent  # at most one request a letter
    assert len(sent) == len(set(sent)), sent  # and never twice the same value
    assert page.recorded.errors == []


def test_a_second_word_that_matches_nothing_is_dropped(browsing, other_origin, typing_site):
    # On the way, `python g` and `python gu` match words of other titles ("Galaxy",
    # "Guardians") and may find nothing together; `gui` matches no word at all, so
    # the server drops it and answers what `python` finds.
    page = readme_snippet_page(browsing, other_origin, typing_site.domain, "two-words")
    page.get_by_role("combobox").press_sequentially("python gui", delay=TYPING_DELAY_MS)
    expect(page.locator("[role=option]")).to_have_text(PYTHON)
    expect(page.locator("[role=option] mark")).to_have_text(["Python", "Python"])
    assert queries(page)[-1] == "python gui"
    assert page.recorded.errors == []


def test_typing_fast_sends_a_request_only_after_a_pause(browsing, other_origin, typing_site):
    word = "configuration"
    page = readme_snippet_page(browsing, other_origin, typing_site.domain, "fast")
    page.get_by_role("combobox").press_sequentially(word, delay=FAST_DELAY_MS)
    expect(page.locator("[role=option]")).to_have_text(CONFIGURATION)
    assert len(page.evaluate("window.inputTimes")) == len(word)
    sent = queries(page)
    assert len(sent) <= pauses(page, DEBOUNCE_MS) + 1, sent
    assert len(sent) < len(word), sent
    assert sent[-1] == word


def test_the_delay_option_sets_the_pause(browsing, other_origin, typing_site):
    # At a visitor's pace the default 100 ms may ask after every key; 600 ms waits
    # for a real pause.
    word = "configuration"
    page = readme_snippet_page(browsing, other_origin, typing_site.domain, "slow",
                               options=", delay: 600")
    page.get_by_role("combobox").press_sequentially(word, delay=TYPING_DELAY_MS)
    expect(page.locator("[role=option]")).to_have_text(CONFIGURATION)
    sent = queries(page)
    assert len(sent) <= pauses(page, 600) + 1, sent
    assert sent[-1] == word
