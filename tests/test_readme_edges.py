"""What the README tells operators about clicks and /metrics holds (issue 25, 16)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FLAT = " ".join(README.split())  # sentences as read, whatever their line breaks


def nginx_snippets() -> list[str]:
    return re.findall(r"```nginx\n(.*?)```", README, re.S)


def test_the_nginx_snippet_proxies_the_service_but_not_its_metrics() -> None:
    (snippet,) = nginx_snippets()
    assert "location / {" in snippet and "proxy_pass http://127.0.0.1:8000;" in snippet
    # A prefix location that wins over regex ones: the service also answers /metrics/.
    assert re.search(r"location \^~ /metrics \{\s*deny all;\s*\}", snippet), snippet


def test_the_readme_says_clicks_are_counted_and_where_they_show() -> None:
    assert "the service does not count them" not in FLAT
    dashboard = (ROOT / "static" / "dashboard.js").read_text()
    says_on_dashboard = "It shows clicks too" in FLAT
    assert says_on_dashboard == ("top_clicks" in dashboard)
    assert ("the most clicked titles, as `GET /v1/stats` and `autocompeter stats` do"
            in FLAT)
