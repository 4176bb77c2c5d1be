"""Loading the corpora into a running service and judging a case's results.

Shared by the pytest module (test_relevance.py) and the report
(`python -m tests.relevance.report`). It works with the servers of
tests/conftest.py (`LiveServer`, `ScaledServer`) but does not import that
module: under pytest the name `conftest` can be another directory's conftest.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from core.text import words

from .case import Case
from .cases import CASES
from .corpora import CORPORA, Document, has_word_starting_with

BULK_CHUNK = 1000


class Server(Protocol):
    """What tests/conftest.py's LiveServer and ScaledServer offer that is used here."""

    base_url: str

    def create_key(self, domain: str) -> str: ...

    def settle(self) -> None: ...


@dataclass
class Site:
    """A domain of its own on a server, with its key (like conftest.Site)."""

    domain: str
    key: str
    client: httpx.Client
    server: Server

    def bulk(self, documents: list[Document]) -> httpx.Response:
        return self.client.post("/v1/bulk", json={"documents": documents},
                                headers={"Auth-Key": self.key})

    def search(self, q: str, **params: object) -> httpx.Response:
        self.server.settle()
        return self.client.get("/v1", params={"d": self.domain, "q": q, **params})


def new_site(server: Server, client: httpx.Client) -> Site:
    domain = f"relevance-{uuid.uuid4().hex[:10]}.example"
    return Site(domain, server.create_key(domain), client, server)


def _chunks(documents: list[Document], size: int) -> Iterable[list[Document]]:
    for start in range(0, len(documents), size):
        yield documents[start:start + size]


def load(site: Site, corpus: str) -> None:
    for chunk in _chunks(CORPORA[corpus].documents(), BULK_CHUNK):
        response = site.bulk(chunk)
        body = response.json()
        if response.status_code != 201 or body.get("rejected"):
            raise RuntimeError(f"loading {corpus!r} failed: {response.status_code} {body}")
    if synonyms := CORPORA[corpus].synonyms:
        response = site.client.put("/v1/synonyms", json=synonyms, headers={"Auth-Key": site.key})
        if response.status_code != 200:
            raise RuntimeError(f"synonyms of {corpus!r}: {response.status_code} {response.text}")


class Domains:
    """Every corpus loaded once per server, each into a domain of its own.

    All corpora are loaded the first time a server is used, whichever case
    comes first: a server's other domains can change a domain's results (the
    embedded engine's typo vocabulary is shared by all domains), so the
    outcome of a case must not depend on which cases ran before it.
    """

    def __init__(self) -> None:
        self._clients: dict[str, httpx.Client] = {}
        self._sites: dict[tuple[str, str], Site] = {}

    def site(self, server: Server, corpus: str) -> Site:
        if server.base_url not in self._clients:
            client = self._clients[server.base_url] = httpx.Client(
                base_url=server.base_url, timeout=30)
            for name in CORPORA:
                site = new_site(server, client)
                load(site, name)
                self._sites[(server.base_url, name)] = site
        return self._sites[(server.base_url, corpus)]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._sites.clear()


@dataclass
class Outcome:
    case: Case
    status: int
    results: list[str] = field(default_factory=list)  # short names, in rank order
    titles: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    first_ok: bool | None = None  # is the expected first result first (first, ordered)
    set_ok: bool | None = None  # is the expected set within the top n (top, ordered)
    passed: bool = False

    @property
    def foreign_terms(self) -> list[str]:
        """Typo corrections in `terms` that no title of this corpus has a word for.

        They can only come from another domain's titles.
        """
        corrections = self.terms[len(words(self.case.query)):]
        return [term for term in corrections
                if not has_word_starting_with(self.case.corpus, term)]

    def explain(self) -> str:
        case = self.case
        shown = "\n".join(f"    {i + 1}. {name}  ({title})" for i, (name, title)
                          in enumerate(zip(self.results, self.titles, strict=True)))
        groups = f" g={','.join(case.groups)}" if case.groups else ""
        return (f"{case.id}: {case.corpus} q={case.query!r}{groups} expected {case.describe()}\n"
                f"  why: {case.why}\n  status {self.status}, terms {self.terms}, got:\n"
                f"{shown or '    (no results)'}")


def judge(case: Case, status: int, results: list[str], titles: list[str],
          terms: list[str]) -> Outcome:
    outcome = Outcome(case, status, results, titles, terms)
    if status != 200:
        return outcome
    expected = list(case.expected)
    if case.kind == "none":
        outcome.passed = not results
    elif case.kind == "first":
        outcome.first_ok = outcome.passed = results[:1] == expected[:1]
    elif case.kind == "top":
        outcome.set_ok = outcome.passed = set(expected) <= set(results[:case.window])
    elif case.kind == "ordered":
        outcome.first_ok = results[:1] == expected[:1]
        outcome.set_ok = set(expected) <= set(results[:len(expected)])
        outcome.passed = results[:len(expected)] == expected
    return outcome


def run(case: Case, site: Site) -> Outcome:
    params: dict[str, object] = {"n": case.size}
    if case.groups:
        params["g"] = ",".join(case.groups)
    response = site.search(case.query, **params)
    if response.status_code != 200:
        return judge(case, response.status_code, [], [], [])
    body = response.json()
    short = CORPORA[case.corpus].short
    return judge(case, 200, [short(url) for url, _title in body["results"]],
                 [title for _url, title in body["results"]], body.get("terms", []))


def run_all(server: Server, domains: Domains,
            cases: Iterable[Case] = CASES) -> list[Outcome]:
    return [run(case, domains.site(server, case.corpus)) for case in cases]
