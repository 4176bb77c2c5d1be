"""One import's work: what the source lists, which of it changed, its titles, checked
as the API checks them (`collect` → `Outcome`); then the store's part (`send`, `remove`).

Nothing here prints or exits: the command (`app/cli/importing.py`) says what came
of it and writes the state once the store has it. A source that cannot be read
raises `ImportFailed`; a page that cannot is listed in `Outcome.skipped`.
"""

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tqdm import tqdm

from app.importer.affixes import NO_TRIM, Trim
from app.importer.download import downloader
from app.importer.sources import Entry, plural, read_source
from app.importer.state import Record, left_the_source
from app.importer.titles import read_titles
from app.shared.backends import Backends
from app.shared.models import validate_documents
from core.store import Document

SEND_BATCH = 1000


@dataclass
class Outcome:
    """What an import found to send, and what it could not read."""

    documents: list[Document]
    sent: dict[str, Record]
    """url -> what the state file keeps of it, of what is sent"""
    skipped: list[tuple[str, str]]
    """(url, why it was not read or not valid), sorted"""
    unchanged: int
    """URLs sent before with the same date and stripping: not read again"""
    listed: frozenset[str] = frozenset()
    """every URL the source lists, read or not"""
    complete: bool = True
    """the whole source was read (no sitemap of it skipped or cut short)"""


async def collect(url: str, domain_state: Mapping[str, object], timeout: float,
                  progress: bool, allow_hosts: Iterable[str] = (),
                  trim: Trim = NO_TRIM) -> Outcome:
    """What the source at ``url`` has that ``domain_state`` (`state.py`) has not sent
    yet, titled and checked; ImportFailed when the source itself cannot be read."""
    async with downloader(url, timeout, allow_hosts) as pages:
        source = await read_source(pages, url)
        unique = {entry.url: entry for entry in source.entries if entry.url}
        todo = [entry for entry in unique.values()
                if not unchanged(entry, Record.of(domain_state.get(entry.url)), trim)]
        complete = not source.skipped
        skipped = source.skipped
        if not source.is_feed:
            skipped += await read_titles(pages, todo, progress)
    titled = [entry for entry in todo if entry.title is not None]
    for entry in titled:
        entry.title = trim.apply(entry.title or "")
    documents, invalid = validate_documents({"url": entry.url, "title": entry.title}
                                            for entry in titled)
    problems = dict(invalid)
    skipped.extend((entry.url, problems[index]) for index, entry in enumerate(titled)
                   if index in problems)
    sent = {entry.url: Record(entry.changed, url, trim.key)
            for index, entry in enumerate(titled) if index not in problems}
    return Outcome(documents, sent, sorted(skipped), len(unique) - len(todo),
                   frozenset(unique), complete)


def unchanged(entry: Entry, record: Record, trim: Trim) -> bool:
    """Sent before with the same date, its title stripped the same way."""
    return bool(entry.changed) and (record.changed, record.trim) == (entry.changed, trim.key)


@dataclass(frozen=True)
class Pruning:
    """What --prune removes, or why it removes nothing though URLs seem to have left."""

    urls: list[str]
    held_back: str = ""
    """"" unless URLs left the source but are kept: then the sentence saying why"""


def to_prune(domain_state: Mapping[str, object], source: str, outcome: Outcome) -> Pruning:
    """What --prune removes; nothing, said why, when the source may only seem to lack them."""
    gone = left_the_source(domain_state, source, outcome.listed)
    if gone and not outcome.complete:
        return Pruning([], "not pruned: part of the source was not read (listed above as "
                           f"skipped), so {plural(len(gone), 'title')} that seem to have "
                           "left it may not have")
    if gone and not outcome.listed:
        return Pruning([], "not pruned: the source lists no URLs at all, more likely a "
                           f"broken site than {plural(len(gone), 'page')} removed")
    return Pruning(gone)


async def send(backends: Backends, domain: str, documents: list[Document]) -> None:
    """Store ``documents`` in ``domain``, SEND_BATCH at a time, a progress bar on stderr."""
    with tqdm(total=len(documents), unit="doc", desc=f"sending to {domain}",
              file=sys.stderr) as bar:
        for start in range(0, len(documents), SEND_BATCH):
            batch = documents[start : start + SEND_BATCH]
            await backends.store.upsert(domain, batch)
            bar.update(len(batch))


async def remove(backends: Backends, domain: str, urls: list[str]) -> list[tuple[str, bool]]:
    """Delete the titles of ``urls``: (url, whether it was there) for each, in order;
    the owner may have removed one first, and then only the state forgets it."""
    # The store's delete, as DELETE /v1?url= does it.
    return [(url, await backends.store.delete(domain, url)) for url in urls]
