"""Chooses the `Store` and `SearchEngine` once, at start-up, from the settings.

This is the only place that knows which implementations exist; everything
else talks to the two ports.
"""

from dataclasses import dataclass

from app.settings import Settings, sqlite_path
from indexer.base import SearchEngine
from indexer.sqlite_fts import Fts5Engine
from store.base import Store
from store.sqlite import SqliteStore
from store.sqlite_db import SqliteDatabase


class UnsupportedSetup(ValueError):
    """The settings ask for a combination this build cannot serve."""


@dataclass
class Backends:
    store: Store
    engine: SearchEngine

    async def close(self) -> None:
        await self.engine.close()
        await self.store.close()


def open_backends(settings: Settings) -> Backends:
    if not settings.database_url.startswith("sqlite:"):
        raise UnsupportedSetup("DATABASE_URL: only sqlite:/// is supported by this build")
    db = SqliteDatabase(sqlite_path(settings.database_url))
    if settings.effective_search_url != settings.database_url:
        raise UnsupportedSetup("SEARCH_URL: the embedded engine searches the DATABASE_URL file")
    return Backends(store=SqliteStore(db), engine=Fts5Engine(db))
