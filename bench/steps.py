"""The steps the benchmark phases share: load titles, drive wrk, read memory."""

import sys
import time
from collections.abc import Mapping
from datetime import datetime

import httpx
import orjson
from corpus import BenchDocument
from processes import ROOT, HasWorkers, Memory, Service, Wrk, WrkResult, memory

# The bench measures capacity, so the service's per-client rate limits are off.
NO_LIMITS = {"SEARCH_RATE_LIMIT": "off", "SEARCH_TIME_BUDGET": "off", "WRITE_RATE_LIMIT": "off"}
CACHE_OFF = {**NO_LIMITS, "RESPONSE_CACHE_BYTES": "0"}
CACHE_ON = NO_LIMITS  # the response cache at its default size
CORPUS_CACHE = ROOT / ".work" / "bench" / "debian-packages.json"
CHUNK = 10_000


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- loading -------------------------------------------------------------------


def bulk_bodies(documents: list[BenchDocument]) -> list[tuple[int, bytes]]:
    """The bulk request bodies, serialised once, outside any timing."""
    return [
        (len(documents[i : i + CHUNK]), orjson.dumps({"documents": documents[i : i + CHUNK]}))
        for i in range(0, len(documents), CHUNK)
    ]


def load_domain(
    service: Service, domain: str, bodies: list[tuple[int, bytes]], probe: BenchDocument
) -> tuple[int, float, float, int]:
    """Loads one domain; returns (loaded, acknowledged s, searchable s, rejected)."""
    key = service.create_key(domain)
    headers = {"Auth-Key": key, "Content-Type": "application/json"}
    loaded = rejected = 0
    probe_query = {"d": domain, "q": probe["title"].split(" — ")[0], "n": "100"}
    with httpx.Client(base_url=service.base_url, timeout=300) as http:
        started = time.perf_counter()
        for size, body in bodies:
            response = http.post("/v1/bulk", content=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(
                    f"bulk load answered {response.status_code}: {response.text[:500]}"
                )
            answer = response.json()
            loaded += answer["count"]
            rejected += len(answer.get("rejected", []))
            if answer["count"] + len(answer.get("rejected", [])) != size:
                raise RuntimeError(f"bulk load of {size} titles answered {answer}")
        acknowledged = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            found = http.get("/v1", params=probe_query).json().get("results", [])
            if any(url == probe["url"] for url, _title in found):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{probe['url']} never became searchable in {domain}")
        searchable = time.perf_counter() - started
    return loaded, acknowledged, searchable, rejected


def record_memory(
    memories: list[tuple[str, list[Memory]]], service: Service, label: str
) -> None:
    found = [m for m in (memory(pid) for pid in service.worker_pids()) if m is not None]
    memories.append((label, found))
    say(
        f"RSS {label}: "
        + ", ".join(f"{m.pid}: {m.rss_mb:.0f} MB (peak {m.hwm_mb:.0f})" for m in found)
    )


def drive(
    wrk: Wrk, url: str, connections: int, label: str, service: HasWorkers | None = None,
    beside: Mapping[str, list[int]] | None = None,
) -> WrkResult:
    """One wrk run, logged; with ``service``, its processes' CPU time per request too, and
    that of each group of processes ``beside`` it."""
    result = wrk.run(url, connections, service.worker_pids() if service else None, beside)
    errors = f", {result.errors} errors" if result.errors else ""
    if result.errors > result.requests / 100:
        errors += " - MORE THAN 1% ERRORS: these numbers are not answers"
    say(
        f"{label:<40} c={connections:<3} {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms{errors}"
    )
    return result
