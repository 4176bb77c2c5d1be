"""Answers under concurrent clients are the answers one client gets alone.

The embedded engine now reads on the event loop and keeps per-worker caches
(generations, vocabulary); the cluster engine shares clients between
requests. Neither may mix one query's answer into another's, as the original
Go service did under load.
"""

from concurrent.futures import ThreadPoolExecutor
from itertools import product

import httpx
from live import Site

WORDS = ["python", "pyramid", "rust", "django", "flask", "testing", "tips", "tricks",
         "notes", "guide", "café", "ørsted", "node", "java", "javascript", "go"]


def corpus() -> list[dict]:
    titles = [f"{a.title()} {b} {c}" for a, b, c in product(WORDS[:8], WORDS[8:12], WORDS[12:])]
    return [{"url": f"/{i}", "title": title, "popularity": i % 7}
            for i, title in enumerate(titles)]


def queries() -> list[str]:
    prefixes = [word[:n] for word in WORDS for n in (1, 2, 4) if n <= len(word)]
    pairs = [f"{a[:3]} {b[:2]}" for a, b in product(WORDS[:6], WORDS[8:14])]
    typos = ["pyhton", "djnago", "javasrcipt", "tirkcs", "zzzz"]
    return list(dict.fromkeys(prefixes + pairs + typos))


def answer(base_url: str, domain: str, q: str, n: int) -> tuple[list[str], list]:
    # A connection of its own per request: the kernel spreads them over the workers.
    response = httpx.get(f"{base_url}/v1", params={"d": domain, "q": q, "n": n}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["terms"], body["results"]


def test_eight_concurrent_clients_get_the_answers_one_client_gets(any_site: Site) -> None:
    assert any_site.bulk(corpus()).status_code == 201
    any_site.server.settle()
    base, domain = any_site.server.base_url, any_site.domain
    alone = {q: answer(base, domain, q, 10) for q in queries()}
    # n=9 is a different cache key, so the engines answer again, now 8 at a time.
    jobs = [q for q in queries() for _ in range(3)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: (q, answer(base, domain, q, 9)), jobs))
    assert sum(bool(results) for _terms, results in alone.values()) > len(alone) // 2
    for q, (terms, results) in together:
        assert (terms, results) == (alone[q][0], alone[q][1][:9]), q
