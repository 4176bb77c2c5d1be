"""`autocompeter copy` moves a domain from the embedded file to PostgreSQL and back with
everything it owns: a private title still needs a token, old tokens and the old key
still work, and the stats come along (issue 26, item 5). `export`/`load` moved titles
only, so the private title became public on the new setup."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from live import LiveServer, Site, new_site, start_scaled_server, start_server, stop_server
from scaled_setup.support import ScaledParts, drop_database, new_parts, require_services
from test_backup_restore import check_restored, cli, prepared_site

from core.store import Document
from core.tokens import mint
from embedded.database import SqliteDatabase
from embedded.store import SqliteStore


@contextmanager
def serving(server: LiveServer) -> Iterator[LiveServer]:
    try:
        yield server
    finally:
        stop_server(server)


@contextmanager
def throwaway_scaled_store() -> Iterator[ScaledParts]:
    """A new PostgreSQL database and index alias, dropped afterwards."""
    database_base, search_url = require_services()
    parts = new_parts(database_base, search_url)
    try:
        yield parts
    finally:
        parts.drop_indexes()
        drop_database(parts.database_url, database_base)


def copy(env: dict[str, str], source: str, target: str, domain: str) -> str:
    done = cli(env, "copy", "--from", source, "--to", target, "--domain", domain)
    assert done.returncode == 0, done.stderr
    return done.stderr


def stats_text(env: dict[str, str], domain: str) -> str:
    """`autocompeter stats`: titles, searches per month, top queries, clicks."""
    done = cli(env, "stats", domain)
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_private_and_keys(site: Site, secret: str) -> None:
    """The private title needs a token signed with the old secret; the old key writes."""
    assert sorted(site.urls("zanzibar")) == ["/later", "/public"]
    assert "/staff" not in site.urls("zanzibar", g="staff")
    token = mint(secret, site.domain, ["staff"], int(time.time()) + 3600)
    assert "/staff" in site.urls("zanzibar", g="staff", t=token)
    assert site.add("/back", "Zanzibar back home").status_code == 201
    assert site.urls("back") == ["/back"]


def test_copy_moves_a_domain_to_postgresql_and_back(tmp_path: Path) -> None:
    (tmp_path / "embedded").mkdir()
    (tmp_path / "scaled").mkdir()
    (tmp_path / "back").mkdir()
    embedded_url = f"sqlite:///{tmp_path / 'embedded' / 'autocompeter.db'}"
    back_url = f"sqlite:///{tmp_path / 'back' / 'autocompeter.db'}"
    with serving(start_server(tmp_path / "embedded")) as embedded, \
            httpx.Client(base_url=embedded.base_url, timeout=10) as http:
        site = new_site(embedded, http)
        secret, counts = prepared_site(site)

    with throwaway_scaled_store() as parts:
        # Into a database that has no tables yet: the copy makes them and the index.
        out = copy(parts.env(), embedded_url, parts.database_url, site.domain)
        assert "rebuilding the search index" in out
        again = cli(parts.env(), "copy", "--from", embedded_url, "--to", parts.database_url)
        assert again.returncode == 2
        assert f"already has keys for {site.domain}" in again.stderr

        with serving(start_scaled_server(tmp_path / "scaled", parts)) as scaled, \
                httpx.Client(base_url=scaled.base_url, timeout=10) as http:
            check_restored(Site(site.domain, site.key, http, scaled), secret, counts)
        scaled_stats = stats_text(parts.env(), site.domain)

        # The way back, into a new embedded file.
        copy({"DATABASE_URL": back_url}, parts.database_url, back_url, site.domain)
    assert stats_text({"DATABASE_URL": back_url}, site.domain) == scaled_stats
    assert f"{site.domain}: 3 documents" in scaled_stats  # and /later, which the old key wrote
    with serving(start_server(tmp_path / "back")) as back, \
            httpx.Client(base_url=back.base_url, timeout=10) as http:
        check_private_and_keys(Site(site.domain, site.key, http, back), secret)


async def store_with_two_domains(path: Path) -> dict[str, str]:
    """A domain with titles, a private group and a secret; one with a key only."""
    store = SqliteStore(SqliteDatabase(path))
    try:
        await store.migrate()
        keys = {"full.example": await store.create_key("full.example", note="owner"),
                "bare.example": await store.create_key("bare.example")}
        await store.upsert("full.example", [Document("/a", "Apple pie", "staff", 2.0),
                                            Document("/b", "Banana bread")])
        await store.set_private_groups("full.example", ["staff"])
        await store.set_domain_rules("full.example", "synonyms", '{"synonyms": [["a", "b"]]}')
        keys["secret"] = await store.token_secret("full.example") or ""
        return keys
    finally:
        await store.close()


async def read_back(path: Path) -> dict[str, object]:
    store = SqliteStore(SqliteDatabase(path))
    try:
        return {
            "keys": sorted((k.domain, k.prefix, k.note) for k in await store.list_keys()),
            "access": await store.access("full.example"),
            "synonyms": await store.domain_rules("full.example", "synonyms"),
            "titles": [d async for d in store.documents("full.example")],
            "bare": await store.count("bare.example"),
        }
    finally:
        await store.close()


def test_copy_without_domain_copies_every_domain_and_refuses_domains_in_use(
        tmp_path: Path) -> None:
    source, target = tmp_path / "source.db", tmp_path / "target.db"
    keys = asyncio.run(store_with_two_domains(source))
    env = {"DATABASE_URL": f"sqlite:///{target}"}
    done = cli(env, "copy", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}")
    assert done.returncode == 0, done.stderr
    assert "copied 2 domains" in done.stdout

    copied = asyncio.run(read_back(target))
    assert copied == asyncio.run(read_back(source))
    assert copied["access"] == (frozenset({"staff"}), keys["secret"])
    assert copied["synonyms"] == '{"synonyms": [["a", "b"]]}'
    assert len(copied["titles"]) == 2  # type: ignore[arg-type]

    async def owners() -> list[str | None]:
        store = SqliteStore(SqliteDatabase(target))
        try:
            return [await store.domain_for_key(keys[d]) for d in ("full.example", "bare.example")]
        finally:
            await store.close()

    assert asyncio.run(owners()) == ["full.example", "bare.example"]  # the old keys work

    again = cli(env, "copy", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}")
    assert (again.returncode, again.stderr) == (
        2, "autocompeter: the target already has keys for bare.example, full.example: those "
           "domains are in use there; nothing copied\n")
    missing = cli(env, "copy", "--from", f"sqlite:///{source}", "--to",
                  f"sqlite:///{tmp_path / 'other.db'}", "--domain", "nowhere.example")
    assert (missing.returncode, missing.stderr) == (
        2, "autocompeter: no domain nowhere.example in --from\n")
    absent = cli(env, "copy", "--from", f"sqlite:///{tmp_path / 'absent.db'}", "--to",
                 f"sqlite:///{target}")
    assert absent.returncode == 2
    assert "no database at" in absent.stderr


def test_copy_refuses_a_bad_domain_and_the_same_database_in_one_line(tmp_path: Path) -> None:
    """app/cli/copying.py: refused before anything is opened, as `CopyFailed` (a `Refused`)."""
    same = f"sqlite:///{tmp_path / 'one.db'}"
    cases = {("--domain", "bad domain.example"): "autocompeter: domain: ",
             (): "autocompeter: --from and --to name the same database\n"}
    for extra, said in cases.items():
        done = cli({}, "copy", "--from", same, "--to", same, *extra)
        assert done.returncode == 2
        assert done.stderr.startswith(said) and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "one.db").exists()
