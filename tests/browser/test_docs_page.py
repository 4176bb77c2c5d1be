"""/docs in a real Chromium: examples wrap on a narrow screen, each has a working copy button."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_docs_examples_wrap_and_copy_under_the_real_csp(browsing, output_dir):
    page = browsing.new_page(viewport={"width": 390, "height": 800})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(browsing.server.base_url + "/docs")
    examples = page.locator("pre.example")
    count = examples.count()
    assert count > 20
    expect(page.locator("pre.example button.copy")).to_have_count(count)
    overflowing = page.evaluate(
        "[...document.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth)"
        ".map(p => p.textContent.slice(0, 60))")
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    bulk = page.locator("#bulk_post pre.example").first
    bulk.get_by_role("button", name="Copy this example").click()
    expect(bulk.get_by_role("button")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith('curl -X POST -H "Auth-Key: $KEY"') and "/v1/bulk'" in copied
    assert "Copy" not in copied
    page.screenshot(path=output_dir / "docs-narrow.png")
    assert page.recorded.errors == []
