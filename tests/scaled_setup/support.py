"""The scaled-out setup for tests: a `serve` process on a real PostgreSQL and a
real OpenSearch, each test session in a database and an index alias of its own.

The services come from `make services` (services/postgres, services/opensearch),
which exports TEST_DATABASE_URL and TEST_SEARCH_URL. Without them the scaled
tests are skipped locally and fail on CI (env CI set), so a CI that forgot to
start the services cannot pass by skipping.
"""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from scaled.store import PostgresStore

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
SETTLE_TIMEOUT = 60.0


def require_services() -> tuple[str, str]:
    """(TEST_DATABASE_URL, TEST_SEARCH_URL), or skip (fail on CI) without them."""
    database = os.environ.get("TEST_DATABASE_URL", "")
    search = os.environ.get("TEST_SEARCH_URL", "")
    if not (database and search):
        message = ("scaled setup needs TEST_DATABASE_URL and TEST_SEARCH_URL: "
                   "run `make services` (or `make test`)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if "+" not in urlsplit(search).scheme:
        search = f"opensearch+{search}"
    return database, search


def http_url(search_url: str) -> str:
    """opensearch+http://host:port -> http://host:port, for talking to it directly."""
    parts = urlsplit(search_url)
    return urlunsplit(parts._replace(scheme=parts.scheme.partition("+")[2]))


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(url: str) -> str:
    """A fresh, empty database next to ``url``'s; returns its URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    return with_database(url, name)


@retry(retry=retry_if_exception_type(asyncpg.InsufficientPrivilegeError),
       wait=wait_fixed(0.2), stop=stop_after_delay(SETTLE_TIMEOUT), reraise=True)
def drop_database(url: str, base_url: str) -> None:
    # PostgreSQL 15 refuses FORCE while an autovacuum worker is in the database
    # (not our role's process; seen once on CI after a big write test); the worker
    # leaves on its own, so the drop is tried again until it does.
    name = urlsplit(url).path.lstrip("/")
    asyncio.run(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _outbox_size(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()


@dataclass
class ScaledParts:
    database_url: str
    search_url: str
    alias: str

    @property
    def engine_url(self) -> str:
        return http_url(self.search_url)

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "SEARCH_URL": self.search_url,
                "SEARCH_INDEX": self.alias}

    def create_key(self, domain: str) -> str:
        async def create() -> str:
            store = PostgresStore(self.database_url)
            try:
                return await store.create_key(domain)
            finally:
                await store.close()

        return asyncio.run(create())

    def outbox_size(self) -> int:
        return asyncio.run(_outbox_size(self.database_url))

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until the outbox is empty, then refresh: every acknowledged
        write is then searchable."""
        deadline = time.monotonic() + timeout
        while self.outbox_size():
            if time.monotonic() > deadline:
                raise AssertionError(f"outbox not empty after {timeout}s")
            time.sleep(0.05)
        httpx.post(f"{self.engine_url}/{self.alias}/_refresh", timeout=30).raise_for_status()

    def engine_count(self, domain: str) -> int:
        """How many documents of ``domain`` the engine holds, asked directly."""
        response = httpx.post(f"{self.engine_url}/{self.alias}/_count", timeout=30,
                              json={"query": {"term": {"domain": domain}}})
        response.raise_for_status()
        return response.json()["count"]

    def drop_indexes(self) -> None:
        httpx.delete(f"{self.engine_url}/{self.alias}-*", timeout=30)


def new_parts(database_base: str, search_url: str) -> ScaledParts:
    alias = f"test-{uuid.uuid4().hex[:10]}"
    return ScaledParts(create_database(database_base), search_url, alias)


def migrate(parts: ScaledParts) -> None:
    """`autocompeter migrate`, as an operator runs it (tables, index, alias)."""
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, check=True,
                   env={**os.environ, **parts.env()}, capture_output=True)


class PostgresServer:
    """A private PostgreSQL server for tests that stop, start or kill it."""

    def __init__(self, workdir: Path, port: int, durable: bool = False) -> None:
        self.workdir, self.port, self.durable = workdir, port, durable

    def start(self) -> str:
        """Start it (recovering after a crash); returns its DSN."""
        env = {**os.environ, "PG_DURABLE": "1" if self.durable else "0"}
        done = subprocess.run([str(SERVICES / "postgres/start.sh"), str(self.workdir),
                               str(self.port)], check=True, capture_output=True, text=True,
                              timeout=120, env=env)
        return done.stdout.strip().splitlines()[-1]

    def stop(self, *flags: str) -> None:
        subprocess.run([str(SERVICES / "postgres/stop.sh"), str(self.workdir), *flags],
                       check=True, capture_output=True, timeout=60)

    @property
    def postmaster_pid(self) -> int:
        return int((self.workdir / "pgdata/postmaster.pid").read_text().split()[0])


class OpenSearchNode:
    """A private OpenSearch node for tests that stop and start it."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"opensearch+http://127.0.0.1:{port}"

    def start(self) -> None:
        subprocess.run([str(SERVICES / "opensearch/start.sh"), str(self.workdir),
                        str(self.port)], check=True, capture_output=True, timeout=300)

    def stop(self) -> None:
        subprocess.run([str(SERVICES / "opensearch/stop.sh"), str(self.workdir)], check=True,
                       capture_output=True, timeout=60)

    @property
    def pid(self) -> int:
        return int((self.workdir / "opensearch.pid").read_text().strip())
