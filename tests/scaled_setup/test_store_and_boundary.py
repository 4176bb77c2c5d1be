"""The PostgreSQL store's outbox (real PostgreSQL), and the Elasticsearch client
at its boundary (no Elasticsearch node can run here)."""

import asyncio

import certifi
import pytest

from core.store import Document
from scaled.cluster import ClusterClient, parse_search_url
from scaled.store import PostgresStore
from scaled_setup.support import drop_database, new_parts, require_services


def test_elasticsearch_url_builds_the_elasticsearch_client_with_auth_and_tls() -> None:
    config = parse_search_url("elasticsearch+https://me:s%40cret@es1:9243,es2:9243",
                              verify_certs=True, ca_file=certifi.where())
    assert config.kind == "elasticsearch"
    assert config.hosts == ["https://es1:9243", "https://es2:9243"]
    assert (config.username, config.password) == ("me", "s@cret")
    client = ClusterClient(config, timeout=1.0)
    assert type(client.client).__name__ == "AsyncElasticsearch"
    asyncio.run(client.close())


def test_unknown_search_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="SEARCH_URL"):
        parse_search_url("solr+http://x:8983")


@pytest.mark.scaled
def test_every_write_adds_outbox_rows_in_its_transaction() -> None:
    base, search = require_services()
    parts = new_parts(base, search)

    async def run() -> None:
        store = PostgresStore(parts.database_url)
        try:
            await store.migrate()
            await store.migrate()  # idempotent
            await store.upsert("d", [Document("/a", "A"), Document("/b", "B"),
                                     Document("/a", "A again")])
            assert await store.count("d") == 2
            assert [d.title for d in [x async for x in store.documents("d")]] == ["A again", "B"]
            assert (await store.outbox_stats())[0] == 2
            assert await store.delete("d", "/a")
            assert not await store.delete("d", "/a")  # nothing deleted: no outbox row
            assert (await store.outbox_stats())[0] == 3
            assert await store.flush("d") == 1
            assert (await store.outbox_stats())[0] == 4
        finally:
            await store.close()

    try:
        asyncio.run(run())
    finally:
        drop_database(parts.database_url, base)


@pytest.mark.scaled
def test_key_use_is_recorded_once_a_minute_and_a_version_1_database_is_upgraded() -> None:
    import asyncpg

    from scaled_setup.support import create_database

    base, _search = require_services()
    url = create_database(base)
    long_ago = "2000-01-01T00:00:00+00:00"

    async def run() -> None:
        store = PostgresStore(url)
        try:
            await store.migrate()
            key = await store.create_key("d.example")
            assert (await store.list_keys())[0].last_used_at is None
            assert await store.domain_for_key(key) == "d.example"
            used = (await store.list_keys())[0].last_used_at
            assert used is not None
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(f"UPDATE keys SET last_used_at = '{long_ago}'")
                assert await store.domain_for_key(key) == "d.example"
                # Within the minute nothing is written: the value set behind its back stays.
                assert str(await conn.fetchval("SELECT last_used_at FROM keys")).startswith(
                    "2000-01-01")
                # As version 1 made the database:
                await conn.execute("ALTER TABLE keys DROP COLUMN last_used_at")
                await conn.execute("DROP TABLE private_groups, token_secrets")  # version 3
                # ... with a title, before version 4 gave titles a ranking value:
                await store.upsert("d.example", [Document("/old", "Old", popularity=3)])
                await conn.execute("DROP INDEX documents_clicked; DROP TABLE click_counts;"
                                   " DROP TABLE clicks_seen; ALTER TABLE documents"
                                   " DROP COLUMN ranking, DROP COLUMN clicks")
                await conn.execute("DROP TABLE domain_rules")  # version 5
                await conn.execute("UPDATE schema_version SET version = 1")
            finally:
                await conn.close()
        finally:
            await store.close()
        upgraded = PostgresStore(url)
        try:
            await upgraded.migrate()
            assert (await upgraded.list_keys())[0].last_used_at is None
            await upgraded.set_private_groups("d.example", ["staff"])
            assert await upgraded.access("d.example") == (frozenset({"staff"}), None)
            await upgraded.set_domain_rules("d.example", "synonyms", "{}")
            assert await upgraded.domain_rules("d.example", "synonyms") == "{}"
            conn = await asyncpg.connect(url)
            try:
                assert await conn.fetchval("SELECT max(version) FROM schema_version") == 5
                row = await conn.fetchrow("SELECT popularity, ranking, clicks FROM documents")
                assert tuple(row) == (3.0, 3.0, 0)
            finally:
                await conn.close()
        finally:
            await upgraded.close()

    try:
        asyncio.run(run())
    finally:
        drop_database(url, base)
