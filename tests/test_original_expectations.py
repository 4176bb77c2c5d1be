"""The Go original's own expectations of its HTTP handlers, run against our service
(issue 27, item 7), on both setups.

The cases come from the original's src/server_test.go (TestUpdateAndFetch,
TestUpdateAndDelete, TestPingHandler, TestIndexHandlerReturnsWithStatusOK) and, for
the answers those tests do not reach, from its handlers in src/api.go (a missing or
unknown Auth-Key, an unknown URL, the flush). The source is in
../shared/peers/autocompeter-go/source.tar.xz. Where we answer differently on
purpose, the case says so (KEPT) and docs/migrating.md explains it to people with
scripts written for the old service.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from live import Site

ROOT = Path(__file__).resolve().parent.parent
MIGRATING = (ROOT / "docs" / "migrating.md").read_text()
FLAT_MIGRATING = " ".join(MIGRATING.split())

# The original's fixture: one document, sent as form fields (server_test.go).
FORM = {"title": "Some blog title", "url": "/some/page"}


@dataclass(frozen=True)
class Kept:
    """A difference from the original we keep: our status, and the guide's words on it."""

    status: int
    guide_says: str


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # where the original expects it
    send: Callable[[Site], httpx.Response]
    original: int
    kept: Kept | None = None

    @property
    def ours(self) -> int:
        return self.kept.status if self.kept else self.original


def search_blo(site: Site) -> httpx.Response:
    return site.search("blo")


CASES = [
    Case("add a title with form fields", "server_test.go TestUpdateAndFetch",
         lambda site: site.client.post("/v1", data=FORM, headers=site.auth), 201),
    Case("search for it", "server_test.go TestUpdateAndFetch", search_blo, 200),
    Case("delete it", "server_test.go TestUpdateAndDelete",
         lambda site: site.client.delete("/v1", params={"url": "/some/page"},
                                         headers=site.auth), 204,
         # Ours carries a JSON body ({"message": "OK"}) as every other answer does;
         # a 204 can carry none (the original's JSON was dropped by net/http).
         Kept(200, "`DELETE /v1` answers `200`")),
    Case("search after the delete", "server_test.go TestUpdateAndDelete", search_blo, 200),
    Case("delete a URL never sent", "api.go deleteHandler",
         lambda site: site.client.delete("/v1", params={"url": "/never"}, headers=site.auth),
         404),
    Case("ping", "server_test.go TestPingHandler",
         lambda site: site.client.get("/v1/ping"), 200),
    Case("the front page", "server_test.go TestIndexHandlerReturnsWithStatusOK",
         lambda site: site.client.get("/"), 200),
    Case("add without an Auth-Key", "api.go updateHandler",
         lambda site: site.client.post("/v1", data=FORM), 403,
         # Our DESIGN: no credentials is 401, wrong credentials 403; both are refusals
         # to a script that checks for 201.
         Kept(401, "a request without an `Auth-Key` header answers `401`")),
    Case("add with an unknown Auth-Key", "api.go updateHandler",
         lambda site: site.client.post("/v1", data=FORM, headers={"Auth-Key": "x" * 32}),
         403),
    Case("flush the domain", "api.go flushHandler",
         lambda site: site.client.delete("/v1/flush", headers=site.auth), 204,
         # Ours says how many titles went: {"message": "OK", "count": N}.
         Kept(200, "`DELETE /v1/flush` answers `200`")),
]


def test_our_service_answers_the_originals_cases_as_it_did_or_as_the_guide_says(
        any_site: Site):
    answers = {}
    for case in CASES:  # in order: each step finds what the steps before it left
        answers[case.name] = answer = case.send(any_site)
        assert answer.status_code == case.ours, (case.name, case.source, answer.text)

    # The bodies server_test.go checks.
    assert answers["add a title with form fields"].json()["message"] == "OK"
    found = answers["search for it"].json()
    assert found["terms"] == ["blo"]
    assert found["results"] == [["/some/page", "Some blog title"]]
    assert answers["search after the delete"].json()["results"] == []
    # The original printed "pong\n"; a script that trims it (or only checks the
    # status, as the widget does) reads ours the same.
    assert answers["ping"].text.strip() == "pong"


@pytest.mark.parametrize("case", [case for case in CASES if case.kept],
                         ids=lambda case: case.name)
def test_each_kept_difference_is_explained_in_the_migration_guide(case: Case):
    assert case.kept.guide_says in FLAT_MIGRATING, case.kept.guide_says
    assert f"`{case.original}`" in FLAT_MIGRATING  # what the original answered
