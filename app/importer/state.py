"""What earlier imports sent, kept in a small JSON file so that a re-run sends only what changed.

For each domain, each URL sent keeps the `lastmod` (sitemaps), `updated` (Atom)
or `pubDate` (RSS) it was sent with, the source that listed it and how its
title was stripped (`Record`); a URL with the same date and stripping is not
downloaded or sent again, and entries without a date always are. The source
kept with each URL is what lets `--prune` remove only the titles of URLs that
left that source. The command reads and writes the file; the file is replaced
whole, so a crash leaves the old state.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from app.shared.errors import Refused
from app.shared.settings import Settings, sqlite_path


class StateUnreadable(Refused):
    """The state file exists but cannot be read: the command says so in one line and
    exits 2, rather than send everything again and overwrite it."""


def default_state_path(settings: Settings) -> Path:
    """Next to the SQLite file; in the working directory for a PostgreSQL setup."""
    if settings.embedded:
        database = Path(sqlite_path(settings.database_url))
        return database.with_name(database.name + ".import-state.json")
    return Path("autocompeter-import-state.json")


@dataclass(frozen=True)
class Record:
    """What the state file keeps of a URL sent."""

    changed: str
    """the date it was sent with ("" for none)"""
    source: str = ""
    """the sitemap or feed that listed it; "" in a state written before sources were kept"""
    trim: str = ""
    """the prefix and suffix its title was stripped of (Trim.key)"""

    @classmethod
    def of(cls, value: object) -> "Record":
        if isinstance(value, str):  # a state file written before sources were kept
            return cls(value)
        if isinstance(value, dict):
            return cls(*(str(value.get(name, "")) for name in ("changed", "source", "trim")))
        return cls("")

    def saved(self) -> dict[str, str]:
        return {"changed": self.changed, "source": self.source, "trim": self.trim}


State = dict[str, dict[str, object]]
"""{domain: {url: Record.saved()}}, as read from and written to the state file."""


def read_state(path: Path) -> State:
    """{domain: {url: what was sent}}; a value may be a bare date (older files)."""
    try:
        state = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as error:
        raise StateUnreadable(f"cannot read the state file {path}: {error}") from None
    return state if isinstance(state, dict) else {}


def write_state(path: Path, state: State) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    partial.replace(path)  # atomically: a crash leaves the old state, not half a file


def left_the_source(domain_state: Mapping[str, object], source: str,
                    listed: frozenset[str]) -> list[str]:
    """URLs that ``source`` sent before and no longer lists: what --prune removes. A URL
    the owner added otherwise, or another source sent, is not in the state as this one's."""
    return sorted(url for url, value in domain_state.items()
                  if url not in listed and Record.of(value).source == source)


def next_state(domain_state: Mapping[str, object], source: str, sent: Mapping[str, Record],
               listed: frozenset[str], removed: list[str]) -> dict[str, object]:
    """The domain's state after a run: what was ``sent``, without what was ``removed``;
    URLs ``source`` still ``listed`` but did not send this time stay its own."""
    kept = {url: value for url, value in domain_state.items() if url not in set(removed)}
    # What the source still lists but was not sent this time is still its own (a
    # state written before sources were kept learns them here).
    for url in (listed & kept.keys()) - sent.keys():
        record = Record.of(kept[url])
        kept[url] = Record(record.changed, source, record.trim).saved()
    kept.update({url: record.saved() for url, record in sent.items()})
    return kept
