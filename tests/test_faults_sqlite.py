"""The embedded setup under real faults: SIGKILL mid-bulk, SIGTERM with work in flight."""

import json
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from urllib.parse import urlsplit

import httpx
from live import start_server, stop_server
from test_http_edges import read_head

BATCH = 2000


def bulk_until_stopped(server, key, acknowledged: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        batch = 0
        while not stop.is_set():
            documents = [{"url": f"/{batch}/{i}", "title": f"Batch {batch} title {i}"}
                         for i in range(BATCH)]
            try:
                response = http.post("/v1/bulk", headers={"Auth-Key": key},
                                     json={"documents": documents})
            except httpx.HTTPError:
                return  # the server died under us: this batch was never acknowledged
            if response.status_code == 201:
                acknowledged.append(batch)
            batch += 1


def test_sigkill_in_the_middle_of_bulk_loads_loses_nothing_acknowledged(tmp_path):
    server = start_server(tmp_path, workers=1)
    key = server.create_key("kill.example")
    acknowledged: list[int] = []
    stop = threading.Event()
    writer = threading.Thread(target=bulk_until_stopped, args=(server, key, acknowledged, stop))
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.15)  # land inside a later bulk
    # The worker that is writing dies first, then the main process: no clean-up runs.
    subprocess.run(["pkill", "-KILL", "-P", str(server.process.pid)], check=False)
    server.process.kill()
    stop.set()
    writer.join(timeout=30)
    assert len(acknowledged) >= 3

    conn = sqlite3.connect(tmp_path / "autocompeter.db")
    per_batch = dict(conn.execute(
        "SELECT substr(url, 2, instr(substr(url, 2), '/') - 1) AS batch, count(*)"
        " FROM documents GROUP BY batch"
    ).fetchall())
    for batch in acknowledged:
        assert per_batch.get(str(batch)) == BATCH, f"acknowledged batch {batch} is incomplete"
    assert all(count == BATCH for count in per_batch.values()), "a bulk was half-written"
    conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
    (indexed,) = conn.execute(
        "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'batch'").fetchone()
    assert indexed == sum(per_batch.values())


def test_sigterm_finishes_requests_in_flight_and_flushes_counters(tmp_path):
    server = start_server(tmp_path, workers=1, STATS_FLUSH_SECONDS="3600")
    key = server.create_key("term.example")
    body = json.dumps({"documents": [{"url": f"/{i}", "title": f"Graceful title {i}"}
                                     for i in range(10_000)]}).encode()
    with httpx.Client(base_url=server.base_url) as http:
        for _ in range(7):
            http.get("/v1", params={"d": "term.example", "q": "graceful"})
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(f"POST /v1/bulk HTTP/1.1\r\nHost: t\r\nAuth-Key: {key}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     "Expect: 100-continue\r\nConnection: close\r\n\r\n".encode())
        # "100 Continue": the bulk's handler runs and reads the body (app/http/bodies.py).
        assert read_head(sock).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body[:-1])
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while "Stopping worker" not in server.log():  # the stop reached the worker
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.05)
        sock.sendall(body[-1:])  # the request in flight ends after the stop began
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 201"), answer
    assert server.process.wait(timeout=30) == 0

    conn = sqlite3.connect(tmp_path / "autocompeter.db")
    (stored,) = conn.execute("SELECT count(*) FROM documents").fetchone()
    (fetches,) = conn.execute("SELECT coalesce(sum(count), 0) FROM fetches").fetchone()
    assert stored == 10_000
    assert fetches == 7  # counted in memory, written at shutdown
    stop_server(server)
