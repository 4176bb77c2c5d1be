"""`autocompeter backup` while the service serves searches and writes, then `restore`
into a fresh service: titles, keys, private groups, token secrets and stats intact,
on both setups (issue 27, 3)."""

import asyncio
import gzip
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from live import ROOT, LiveServer, Site, new_site, start_scaled_server, start_server, stop_server
from scaled_setup.support import drop_database, new_parts, require_services

from core.tokens import mint

PATIENCE = 30.0
# Parts of /v1/stats that are the stored counts as they are (top queries are also
# counted later, as a visitor's burst of searches ends).
STORED = ("fetches", "documents", "top_clicks")
SEARCHES = 3
PUBLIC = {"url": "/public", "title": "Zanzibar public guide", "popularity": 2}
STAFF = {"url": "/staff", "title": "Zanzibar staff handbook", "group": "staff"}


def wait_for(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` until it returns something true (the state, not a time)."""
    deadline = time.monotonic() + PATIENCE
    while not (found := check()):
        assert time.monotonic() < deadline, f"waited {PATIENCE}s for {what}"
        time.sleep(0.05)
    return found


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def stats(site: Site) -> dict[str, Any]:
    answer = site.client.get("/v1/stats", headers=site.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored_query_searches(site: Site) -> int:
    """The domain's searches in the store's query counts, read from the database."""
    sql = ("SELECT coalesce(sum(q.searches), 0) FROM query_counts q"
           " JOIN domains m ON m.id = q.domain_id WHERE m.name = {mark}")
    parts = getattr(site.server, "parts", None)
    if parts is None:
        with closing(sqlite3.connect(site.server.db_path, timeout=30)) as conn:
            return conn.execute(sql.format(mark="?"), (site.domain,)).fetchone()[0]

    async def read() -> int:
        conn = await asyncpg.connect(parts.database_url)
        try:
            return await conn.fetchval(sql.format(mark="$1"), site.domain)
        finally:
            await conn.close()

    return asyncio.run(read())


def counted(site: Site) -> dict[str, Any] | None:
    """The stats once every search and the click made are in the store (the workers
    write their counts on their own), else None."""
    now = stats(site)
    searches = sum(n for months in now["fetches"].values() for n in months.values())
    clicks = {entry["url"]: entry["clicks"] for entry in now["top_clicks"]}
    whole = (searches == SEARCHES + 1 and clicks == {"/public": 1}
             and stored_query_searches(site) == SEARCHES + 1)
    return now if whole else None


def prepared_site(site: Site) -> tuple[str, dict[str, Any]]:
    """A domain with a public and a private title, its token secret, searches and a
    click; the secret and the stats once counted."""
    assert site.bulk([PUBLIC, STAFF]).status_code == 201
    answer = site.client.put("/v1/groups", json={"private": ["staff"]}, headers=site.auth)
    assert answer.status_code == 200, answer.text
    for _ in range(SEARCHES):
        assert site.urls("zanzibar") == ["/public"]
    assert site.urls("zanz") == ["/public"]
    click = {"d": site.domain, "q": "zanz", "url": "/public"}
    assert site.client.post("/v1/click", json=click).status_code == 204
    return answer.json()["token_secret"], wait_for(lambda: counted(site), "the counts")


@dataclass
class Traffic:
    """Searches and writes of another domain, in a thread, while the backup runs: each
    write is two titles in one request, so a consistent copy holds both or neither;
    and a key for a new domain each time (a copy of the keys taken after that of the
    domains would hold keys of domains it lacks, and could not be restored)."""

    site: Site
    pairs: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        with httpx.Client(base_url=self.site.server.base_url, timeout=10) as http:
            while not self.stop.is_set():
                n = self.pairs
                pair = [{"url": f"/{n}/a", "title": f"Busy {n} first"},
                        {"url": f"/{n}/b", "title": f"Busy {n} second"}]
                written = http.post("/v1/bulk", json={"documents": pair},
                                    headers=self.site.auth)
                searched = http.get("/v1", params={"d": self.site.domain, "q": "busy"})
                self.site.server.create_key(f"k{n}.{self.site.domain}")
                if written.status_code != 201 or searched.status_code != 200:
                    self.errors.append(f"{written.status_code} {searched.status_code}")
                    return
                self.pairs += 1


@contextmanager
def traffic_on(site: Site) -> Iterator[Traffic]:
    traffic = Traffic(site)
    thread = threading.Thread(target=traffic.run)
    thread.start()
    try:
        wait_for(lambda: traffic.pairs >= 5 or traffic.errors, "traffic to start")
        yield traffic
    finally:
        traffic.stop.set()
        thread.join()
    assert not traffic.errors, traffic.errors


@dataclass
class FreshService:
    """An empty store of a setup, the settings that name it, and how to serve it."""

    env: dict[str, str]
    start: Callable[[], LiveServer]


@contextmanager
def fresh_service(server: LiveServer, tmp: Path) -> Iterator[FreshService]:
    """An empty store of the same setup as ``server``'s (a new SQLite file, or a new
    PostgreSQL database and index alias)."""
    if getattr(server, "parts", None) is None:
        yield FreshService({"DATABASE_URL": f"sqlite:///{tmp / 'autocompeter.db'}"},
                           lambda: start_server(tmp))
        return
    database_base, search_url = require_services()
    parts = new_parts(database_base, search_url)
    try:
        yield FreshService(parts.env(), lambda: start_scaled_server(tmp, parts))
    finally:
        parts.drop_indexes()
        drop_database(parts.database_url, database_base)


def exported_urls(env: dict[str, str], domain: str) -> list[str]:
    done = cli(env, "export", domain)
    assert done.returncode == 0, done.stderr
    return [document["url"] for document in orjson.loads(done.stdout)["documents"]]


def test_backup_while_serving_restores_into_a_fresh_service(
        any_server: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=any_server.base_url, timeout=10) as http:
        site, busy = new_site(any_server, http), new_site(any_server, http)
        secret, counts = prepared_site(site)
        backup = tmp_path / "backup"
        with traffic_on(busy) as traffic:
            before = traffic.pairs
            made = cli(any_server.database_env(), "backup", str(backup))
            during = traffic.pairs - before
        assert made.returncode == 0, made.stderr
        assert "backed up" in made.stdout
        assert during > 0, "no write ran while the backup was made"

    target = tmp_path / "restored"
    target.mkdir()
    with fresh_service(any_server, target) as fresh:
        restore = cli(fresh.env, "restore", str(backup))
        assert restore.returncode == 0, restore.stderr
        restored = fresh.start()
        try:
            with httpx.Client(base_url=restored.base_url, timeout=10) as http:
                old = Site(site.domain, site.key, http, restored)
                check_restored(old, secret, counts)
                check_consistent_copy(fresh.env, busy.domain, before)
        finally:
            stop_server(restored)


def check_restored(old: Site, secret: str, counts: dict[str, Any]) -> None:
    # Before any search on the new service, which would count. What the store held when
    # the counts were written; the rest of the stats is made from the same tables.
    now = stats(old)
    assert {name: now[name] for name in STORED} == {name: counts[name] for name in STORED}
    assert stored_query_searches(old) == SEARCHES + 1
    groups = old.client.get("/v1/groups", headers=old.auth).json()
    assert groups == {"domain": old.domain, "private": ["staff"], "token_secret": secret}
    assert old.urls("zanzibar") == ["/public"]
    assert old.urls("zanzibar", g="staff") == ["/public"]  # a private group needs a token
    token = mint(secret, old.domain, ["staff"], int(time.time()) + 3600)
    assert sorted(old.urls("zanzibar", g="staff", t=token)) == ["/public", "/staff"]
    # The old key still writes.
    assert old.add("/later", "Zanzibar later").status_code == 201
    # A query not asked before: the scaled setup reuses an answer for up to a second.
    assert old.urls("later") == ["/later"]


def check_consistent_copy(env: dict[str, str], domain: str, before: int) -> None:
    """Every write the copy holds is whole, and none acknowledged before it began is lost."""
    urls = exported_urls(env, domain)
    pairs = {url.split("/")[1] for url in urls}
    assert sorted(urls) == sorted(f"/{n}/{half}" for n in pairs for half in "ab")
    assert len(pairs) >= before


def test_restore_refuses_a_database_with_domains_and_force_replaces_it(
        server: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        site = new_site(server, http)
        assert site.add("/kept", "Kept title").status_code == 201
    backup = tmp_path / "backup.db"
    assert cli(server.database_env(), "backup", str(backup)).returncode == 0

    target = tmp_path / "target.db"
    env = {"DATABASE_URL": f"sqlite:///{target}"}
    assert cli(env, "keys", "create", "other.example").returncode == 0
    refused = cli(env, "restore", str(backup))
    assert refused.returncode == 2
    assert "already holds domains" in refused.stderr and "--force" in refused.stderr
    assert cli(env, "restore", "--force", str(backup)).returncode == 0
    assert exported_urls(env, site.domain) == ["/kept"]
    assert cli(env, "export", "other.example").returncode == 2  # replaced, not merged


def test_the_embedded_backup_is_one_sound_file(server: LiveServer, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    assert cli(server.database_env(), "backup", str(backup)).returncode == 0
    assert not Path(f"{backup}-wal").exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("content, error", [
    (b"", "not an autocompeter backup"),
    (b"SQLite format 3\x00", "not an autocompeter"),
    (b'{"format": "autocompeter-backup", "setup": "postgresql", "schema_version": 4}\n',
     "backup of the scaled setup"),
])
def test_restore_refuses_what_is_not_an_embedded_backup(tmp_path: Path, content: bytes,
                                                        error: str) -> None:
    backup = tmp_path / "backup"
    backup.write_bytes(content)
    done = cli({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}, "restore", str(backup))
    assert done.returncode == 2
    assert error in done.stderr, done.stderr


@pytest.mark.scaled
def test_a_gzipped_scaled_backup_restores_and_one_cut_short_is_refused(
        scaled_server: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=scaled_server.base_url, timeout=10) as http:
        site = new_site(scaled_server, http)
        assert site.add("/kept", "Kept title").status_code == 201
    backup = tmp_path / "backup.jsonl.gz"
    made = cli(scaled_server.database_env(), "backup", str(backup))
    assert made.returncode == 0, made.stderr
    lines = gzip.decompress(backup.read_bytes()).splitlines()
    assert orjson.loads(lines[0])["setup"] == "postgresql"
    whole = b"\n".join(lines) + b"\n"
    cuts = {"no-end.jsonl": b"\n".join(lines[:-1]) + b"\n",  # at a line's end
            "mid-row.jsonl": whole[:len(whole) - len(lines[-1]) - 5],  # within a row
            "mid-stream.jsonl.gz": backup.read_bytes()[:-20]}

    with fresh_service(scaled_server, tmp_path) as fresh:
        for name, content in cuts.items():
            (tmp_path / name).write_bytes(content)
            refused = cli(fresh.env, "restore", str(tmp_path / name))
            assert refused.returncode == 2, (name, refused.stderr)
            assert "cut short" in refused.stderr, (name, refused.stderr)
        assert cli(fresh.env, "export", site.domain).returncode == 2  # nothing restored
        restored = cli(fresh.env, "restore", str(backup))
        assert restored.returncode == 0, restored.stderr
        assert "reindexed" in restored.stdout
        assert exported_urls(fresh.env, site.domain) == ["/kept"]
        again = cli(fresh.env, "restore", str(backup))
        assert again.returncode == 2 and "already holds domains" in again.stderr
        assert cli(fresh.env, "restore", "--force", str(backup)).returncode == 0
        assert exported_urls(fresh.env, site.domain) == ["/kept"]


def test_a_backup_into_a_missing_directory_is_one_line(server: LiveServer,
                                                        tmp_path: Path) -> None:
    done = cli(server.database_env(), "backup", str(tmp_path / "missing" / "backup.db"))
    assert done.returncode == 2
    assert done.stderr.startswith("autocompeter: cannot write") and "Traceback" not in done.stderr
    assert not (tmp_path / "missing").exists()
