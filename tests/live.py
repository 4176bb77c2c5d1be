"""A real `autocompeter serve` process for tests, and a site (domain + key) on it.

Plain code, importable as `live` from any test module; the fixtures that use it
are in tests/conftest.py.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from scaled_setup.support import ScaledParts

from embedded.database import SqliteDatabase
from embedded.store import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    db_path: Path
    process: subprocess.Popen
    log_path: Path

    def create_key(self, domain: str) -> str:
        async def create() -> str:
            store = SqliteStore(SqliteDatabase(self.db_path))
            try:
                return await store.create_key(domain)
            finally:
                await store.close()

        # In a thread of its own: a caller may already run an event loop
        # (Playwright's sync API does), where asyncio.run() refuses to start.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, create()).result()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def database_env(self) -> dict[str, str]:
        return {"DATABASE_URL": f"sqlite:///{self.db_path}"}

    def cli(self, *args: str) -> str:
        """Run `autocompeter ARGS` on this server's database, as an operator would."""
        done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                              env={**os.environ, **self.database_env()},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def settle(self) -> None:
        """Wait until every acknowledged write is searchable.

        The embedded engine indexes in the write's own transaction, so there is
        nothing to wait for; setups with an asynchronous indexer override this.
        """


SERVE = (sys.executable, "-m", "app.cli")


def start_server(tmp: Path, workers: int = 2, program: Sequence[str] = SERVE,
                 **env: str) -> LiveServer:
    """Run `autocompeter serve` as users do, and wait until it answers.

    `program` runs instead of `python -m app.cli` for a test that wraps the CLI.
    """
    port = free_port()
    db_path = tmp / "autocompeter.db"
    log_path = tmp / "server.log"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "STATS_FLUSH_SECONDS": "0.2",
        "CLICK_RANKING_SECONDS": "0.2",  # clicks move titles within a test's patience
        "MAX_BODY_BYTES": str(2 * 1024 * 1024),
        # Tests fire requests far faster than people; test_security.py turns them on.
        "SEARCH_RATE_LIMIT": "off",
        "SEARCH_TIME_BUDGET": "off",
        "WRITE_RATE_LIMIT": "off",
        "ACCESS_LOG": "true",
        **env,
    }
    command = [*program, "serve", "--port", str(port),
               "--workers", str(workers)]
    with log_path.open("wb") as log:
        # A process group of its own, as a shell job or a systemd unit has: a
        # second stop makes Sanic kill its workers' whole group.
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", db_path, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        # Sanic logs each worker as it becomes ready; wait for all of them so a
        # test never races a worker that is still starting.
        if server.log().count("Worker ready") < workers:
            time.sleep(0.1)
            continue
        try:
            if httpx.get(f"{server.base_url}/v1/ping", timeout=1).text == "pong":
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@dataclass
class Site:
    """A domain of its own for one test, with a key and a client that sends it."""

    domain: str
    key: str
    client: httpx.Client
    server: LiveServer

    @property
    def auth(self) -> dict[str, str]:
        return {"Auth-Key": self.key}

    def add(self, url: str, title: str, **fields: object) -> httpx.Response:
        return self.client.post("/v1", json={"url": url, "title": title, **fields},
                                headers=self.auth)

    def bulk(self, documents: list[dict]) -> httpx.Response:
        return self.client.post("/v1/bulk", json={"documents": documents}, headers=self.auth)

    def search(self, q: str, **params: object) -> httpx.Response:
        self.server.settle()
        return self.client.get("/v1", params={"d": self.domain, "q": q, **params})

    def urls(self, q: str, **params: object) -> list[str]:
        response = self.search(q, **params)
        assert response.status_code == 200, response.text
        return [url for url, _title in response.json()["results"]]


def new_site(server: LiveServer, client: httpx.Client) -> Site:
    domain = f"{uuid.uuid4().hex[:10]}.example"
    return Site(domain, server.create_key(domain), client, server)


# -- the scaled-out setup: PostgreSQL + OpenSearch (see tests/scaled_setup/support.py) ----


@dataclass
class ScaledServer(LiveServer):
    parts: ScaledParts | None = None

    def create_key(self, domain: str) -> str:
        assert self.parts is not None
        return self.parts.create_key(domain)

    def settle(self) -> None:
        """Writes reach the engine through the outbox: wait for it to drain."""
        assert self.parts is not None
        self.parts.settle()

    def database_env(self) -> dict[str, str]:
        assert self.parts is not None
        return self.parts.env()


def start_scaled_server(tmp: Path, parts: ScaledParts, workers: int = 2,
                        **env: str) -> ScaledServer:
    live = start_server(tmp, workers=workers, **parts.env(), **env)
    return ScaledServer(**vars(live), parts=parts)


