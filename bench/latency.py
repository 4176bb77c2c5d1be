"""One client, one query at a time, never-seen queries: what a single visitor waits.

A raw HTTP/1.1 keep-alive socket (no client library between the clock and the
wire), each request timed with perf_counter from the first byte sent to the
last body byte read. Every answer is sorted by what answered it:

- "full page from exact tiers": as many results as asked for (n);
- "not full, with corrections": fewer, and `terms` holds more words than the
  query (the typo tier added corrections);
- "not full, no corrections": fewer and no corrections, misses included.
"""

import socket
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import orjson

FULL = "full page from exact tiers"
CORRECTED = "not full, with corrections"
UNCORRECTED = "not full, no corrections"
KINDS = (FULL, CORRECTED, UNCORRECTED)
PAGE = 10  # the n of every bench query: the service's default


@dataclass(frozen=True)
class LatencySummary:
    count: int
    median_ms: float
    p99_ms: float
    max_ms: float
    over_10_ms: int = 0
    over_50_ms: int = 0

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> "LatencySummary":
        ordered = sorted(samples_ms)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(len(ordered), statistics.median(ordered), p99, ordered[-1],
                   sum(ms > 10 for ms in ordered), sum(ms > 50 for ms in ordered))


def kind_of(query: str, body: bytes) -> str:
    answer = orjson.loads(body)
    if len(answer["results"]) >= PAGE:
        return FULL
    if len(answer["terms"]) > len(query.split()):
        return CORRECTED
    return UNCORRECTED


class KeepAliveClient:
    """GET over one persistent connection; the answer's body, read to its Content-Length."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def get(self, path: str) -> bytes:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = head.split(b" ", 2)[1]
        headers = {name.strip().lower(): value.strip() for name, _, value in
                   (line.partition(b":") for line in head.split(b"\r\n")[1:])}
        if headers.get(b"transfer-encoding") == b"chunked":
            body = self._chunked()  # Go's net/http, for an answer past its buffer
        else:
            body = self._exactly(int(headers[b"content-length"]))
        if status != b"200":
            raise RuntimeError(f"GET {path} answered {status.decode()}: {body[:300]!r}")
        return body

    def _exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def _chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                self._receive()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            chunk = self._exactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                return body
            body += chunk[:-2]

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def measure(port: int, domain: str, queries: Sequence[str],
            kind: Callable[[str, bytes], str] = kind_of,
            together: dict[str, Sequence[str]] | None = None) -> dict[str, LatencySummary]:
    """Each query once, in order, after a few warm-up requests; a summary per kind and 'all'
    (``kind`` sorts a query by its answer; by default into KINDS), and one for each name
    of ``together`` over the kinds it lists."""
    client = KeepAliveClient(port)
    try:
        for _ in range(20):  # the connection and the worker's first-request costs
            client.get(f"/v1?d={quote(domain)}&q=warmup")
        samples: dict[str, list[float]] = {found: [] for found in KINDS}
        for query in queries:
            path = f"/v1?d={quote(domain)}&q={quote(query)}"
            started = time.perf_counter()
            body = client.get(path)
            elapsed_ms = (time.perf_counter() - started) * 1000
            samples.setdefault(kind(query, body), []).append(elapsed_ms)
    finally:
        client.close()
    summaries = {sort: LatencySummary.of(found) for sort, found in samples.items() if found}
    summaries["all"] = LatencySummary.of([ms for found in samples.values() for ms in found])
    for name, kinds in (together or {}).items():
        joined = [ms for sort in kinds for ms in samples.get(sort, [])]
        if joined:
            summaries[name] = LatencySummary.of(joined)
    return summaries
