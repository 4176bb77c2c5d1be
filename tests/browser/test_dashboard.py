"""The site owner's dashboard (/dashboard) in Chromium, against the real service."""

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from test_snippets import SERVICE, the_widget_snippet

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TITLES = ["Python testing", "Python typing", "The Hobbit", "Hobbit houses", "Café culture",
          *[f"Page number {n}" for n in range(1, 21)]]
SEARCHES = ["pyth"] * 3 + ["hobbit"] * 2 + ["zzzq"] * 2


class Owner:
    """A domain of its own, with titles, some searches, and its key."""

    def __init__(self, server) -> None:
        self.server = server
        self.domain = f"{uuid.uuid4().hex[:10]}.example"
        self.key = server.create_key(self.domain)
        self.http = httpx.Client(base_url=server.base_url, headers={"Auth-Key": self.key},
                                 timeout=10)
        documents = [{"url": f"https://{self.domain}/{n}", "title": title}
                     for n, title in enumerate(TITLES)]
        assert self.http.post("/v1/bulk", json={"documents": documents}).status_code == 201

    def search_and_wait_for_stats(self) -> None:
        """Each search by a visitor of its own (its user agent: one visitor's burst of
        searches counts once), and a click on "Python testing" after "pyth"."""
        for n, q in enumerate(SEARCHES):
            assert self.http.get("/v1", params={"d": self.domain, "q": q},
                                 headers={"User-Agent": f"visitor {n}"}).status_code == 200
        click = {"d": self.domain, "q": "pyth", "url": f"https://{self.domain}/0"}
        assert self.http.post("/v1/click", json=click,
                              headers={"User-Agent": "visitor 0"}).status_code == 204
        # Each worker flushes its counts every 0.2 s; a search counts as an intent a
        # pause (3 s) and a margin (2 s) after it: wait until all are in.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            stats = self.http.get("/v1/stats").json()
            if sum(row["count"] for row in stats["top_queries"]) == len(SEARCHES) \
                    and stats["top_clicks"]:
                return
            time.sleep(0.1)
        raise AssertionError(f"searches never counted: {stats}")

    def url_exists(self, url: str) -> bool:
        return self.http.get("/v1/documents", params={"url": url}).status_code == 200


@pytest.fixture
def owner(server):
    owner = Owner(server)
    yield owner
    owner.http.close()


def signed_in(browsing, owner: Owner, **context):
    page = browsing.new_page(**context)
    page.goto(browsing.server.base_url + "/dashboard")
    expect(page).to_have_title("Autocompeter dashboard")
    # By keyboard: the key field, then Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your domain's key")).to_be_focused()
    page.keyboard.type(owner.key)
    page.keyboard.press("Enter")
    expect(page.locator("#domain-name")).to_have_text(owner.domain)
    return page


def test_sign_in_shows_the_numbers_chart_and_top_queries(browsing, owner, output_dir):
    owner.search_and_wait_for_stats()
    page = signed_in(browsing, owner, viewport={"width": 1024, "height": 900})
    expect(page.locator("#title-count")).to_have_text(str(len(TITLES)))
    expect(page.locator("svg.chart rect.bar")).to_have_count(30)
    expect(page.locator("#chart-summary")).to_have_text(
        f"{len(SEARCHES)} searches in the last 30 days, most on "
        f"{page.locator('#daily-table tbody tr').last.locator('td').first.text_content()} "
        f"({len(SEARCHES)}).")
    expect(page.locator("#daily-table tbody tr")).to_have_count(30)
    # With the share of each top query's searches that ended in a click on a result.
    expect(page.locator("#top-queries li")).to_have_text(
        ["pyth 3 searches, 33% clicked", "hobbit 2 searches, 0% clicked",
         "zzzq 2 searches, 0% clicked"])
    expect(page.locator("#top-misses li")).to_have_text(["zzzq 2 searches"])
    # The most clicked titles, each a link to its page.
    expect(page.locator("#top-clicks li")).to_have_text(["Python testing 1 click"])
    expect(page.get_by_role("link", name="Python testing")).to_have_attribute(
        "href", f"https://{owner.domain}/0")

    # The key stays in this tab's sessionStorage, nowhere else.
    assert page.evaluate("sessionStorage.getItem('autocompeter.key')") == owner.key
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    page.reload()
    expect(page.locator("#domain-name")).to_have_text(owner.domain)

    # A top query opens a search of the titles.
    page.get_by_role("link", name="hobbit").click()
    expect(page.locator("#titles-q")).to_have_value("hobbit")
    expect(page.locator("#titles-table tbody tr td:first-child")).to_have_text(
        ["The Hobbit", "Hobbit houses"])
    page.screenshot(path=output_dir / "dashboard.png", full_page=True)
    assert page.recorded.errors == []


def test_widget_snippet_is_the_readme_snippet_for_this_domain(browsing, owner):
    page = signed_in(browsing, owner)
    expected = the_widget_snippet(ROOT / "README.md").replace(SERVICE, owner.server.base_url)
    expected = expected.replace("domain: 'example.com'", f"domain: '{owner.domain}'")
    expect(page.locator("#snippet")).to_have_text(expected, use_inner_text=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the snippet").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == expected

    # The live search box is the widget, searching this domain.
    box = page.get_by_label("Search your titles as visitors will")
    box.press_sequentially("hobb")
    expect(page.get_by_role("option").first).to_contain_text("Hobbit")
    assert page.recorded.errors == []


def test_find_page_through_and_delete_a_title(browsing, owner):
    page = signed_in(browsing, owner)
    rows = page.locator("#titles-table tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#titles-status")).to_have_text("Titles 1\u201320.")
    page.get_by_role("button", name="Next page").click()
    expect(rows).to_have_count(len(TITLES) - 20)
    expect(page.locator("#titles-status")).to_have_text(f"Titles 21\u2013{len(TITLES)}.")
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.get_by_role("button", name="Previous page").click()
    expect(rows).to_have_count(20)

    search = page.get_by_label("Find titles")
    search.fill("cafe")
    search.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("Café culture")
    # Delete by keyboard: the first Enter asks, the second deletes.
    delete = page.get_by_role("button", name="Delete Café culture")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Really delete Café culture?")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#titles-status")).to_have_text("No titles matching “cafe”.")
    expect(page.locator("#title-count")).to_have_text(str(len(TITLES) - 1))
    assert not owner.url_exists(f"https://{owner.domain}/4")
    assert page.recorded.errors == []


def test_upload_a_file_shows_progress_and_the_rejected_entries(browsing, owner, tmp_path):
    page = signed_in(browsing, owner)
    lines = ["url,title,popularity,group",
             f'https://{owner.domain}/new/1,"Uploaded, with a comma",3,',
             f"https://{owner.domain}/new/2,No popularity,,staff",
             f"https://{owner.domain}/new/3,,1,",
             *[f"https://{owner.domain}/bulk/{n},Bulk title {n},," for n in range(1200)]]
    csv = tmp_path / "titles.csv"
    csv.write_text("\n".join(lines) + "\n")
    page.get_by_label("A file of titles").set_input_files(csv)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_have_text(
        "Stored 1202 of 1203 titles; 1 rejected:")
    expect(page.locator("#upload-errors li")).to_have_text(
        ["Entry 3: title: Field required"])
    expect(page.locator("#upload-bar")).to_have_js_property("value", 1203)
    expect(page.locator("#title-count")).to_have_text(f"{len(TITLES) + 1202:,}")
    assert owner.http.get("/v1/documents", params={"url": f"https://{owner.domain}/new/1"}
                          ).json() == {"url": f"https://{owner.domain}/new/1",
                                       "title": "Uploaded, with a comma", "group": "",
                                       "popularity": 3.0}

    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(json.dumps({"url": f"https://{owner.domain}/j", "title": "From JSON Lines"})
                     + "\n")
    page.get_by_label("A file of titles").set_input_files(jsonl)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_have_text("Stored 1 of 1 titles.")
    assert owner.url_exists(f"https://{owner.domain}/j")
    assert page.recorded.errors == []


def test_a_wrong_key_is_refused_with_a_clear_message(browsing, server):
    page = browsing.new_page()
    page.goto(server.base_url + "/dashboard")
    page.get_by_label("Your domain's key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Auth-Key is not a valid key (unknown or revoked)")
    expect(page.locator("#dashboard")).to_be_hidden()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1024])
def test_dashboard_axe_scan(browsing, owner, axe_scan, output_dir, scheme, width):
    owner.search_and_wait_for_stats()
    # The page's CSP would block the injected axe script; bypassing it changes
    # nothing axe looks at. The other tests run under the real CSP.
    page = signed_in(browsing, owner, color_scheme=scheme, bypass_csp=True,
                     viewport={"width": width, "height": 800})
    expect(page.locator("#top-queries li")).to_have_count(3)
    expect(page.locator("#top-clicks li a")).to_have_count(1)  # the clicks list too
    page.locator("summary").click()  # the chart's table too
    page.get_by_role("button", name="Delete The Hobbit").click()  # the armed state too
    if width == 360:
        # Nothing wider than the screen but the scrolling regions made for it.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if scheme == "dark":
            page.screenshot(path=output_dir / "dashboard-mobile-dark.png", full_page=True)
    violations = axe_scan(page)
    assert violations == [], f"{scheme} {width}: " + json.dumps(violations, indent=2)


def test_paging_through_three_pages_and_back_lands_on_the_middle_one(browsing, owner):
    more = [{"url": f"https://{owner.domain}/more/{n}", "title": f"More page {n}"}
            for n in range(20)]
    assert owner.http.post("/v1/bulk", json={"documents": more}).status_code == 201
    total = len(TITLES) + len(more)  # three pages of 20: 20, 20 and the rest
    page = signed_in(browsing, owner)
    rows = page.locator("#titles-table tbody tr")
    status = page.locator("#titles-status")
    next_page = page.get_by_role("button", name="Next page")
    previous_page = page.get_by_role("button", name="Previous page")
    expect(status).to_have_text("Titles 1\u201320.")
    next_page.click()
    expect(status).to_have_text("Titles 21\u201340.")
    second = rows.locator("td:first-child").all_text_contents()
    assert len(second) == 20
    next_page.click()
    expect(status).to_have_text(f"Titles 41\u2013{total}.")
    expect(rows).to_have_count(total - 40)
    expect(next_page).to_be_disabled()
    previous_page.click()
    expect(status).to_have_text("Titles 21\u201340.")
    expect(rows.locator("td:first-child")).to_have_text(second)
    expect(next_page).to_be_enabled()
    expect(previous_page).to_be_enabled()
    previous_page.click()
    expect(status).to_have_text("Titles 1\u201320.")
    expect(previous_page).to_be_disabled()
    assert page.recorded.errors == []
