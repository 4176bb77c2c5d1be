"""The benchmark corpus: Debian's package names with their one-line descriptions.

Read once from `apt-cache dumpavail` (after `apt-get update` when the package
lists are empty) and cached as a bulk payload, `{"documents": [...]}`:

- title: "NAME — one-line description"
- url: https://packages.debian.org/bookworm/NAME
- popularity: how many other packages of the same dump name it in `Depends`
- group: "docs" for packages in a `doc` section, "" for all others
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import orjson

URL = "https://packages.debian.org/bookworm/{name}"
DOCS_GROUP = "docs"
# "foo (>= 1.0) [amd64] <!nocheck>" or "foo:any" -> "foo"
_DEPENDENCY_NAME = re.compile(r"^\s*([a-z0-9][a-z0-9+.\-]*)")


class BenchDocument(TypedDict):
    url: str
    title: str
    popularity: int
    group: str


def stanzas(dump: str) -> Iterator[dict[str, str]]:
    """The fields of each package stanza (continuation lines are dropped)."""
    for block in dump.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if not line or line[0] in " \t":
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if "Package" in fields:
            yield fields


def depended_on(depends: str) -> set[str]:
    """The package names one `Depends:` field mentions, alternatives included."""
    names = set()
    for clause in depends.split(","):
        for alternative in clause.split("|"):
            match = _DEPENDENCY_NAME.match(alternative)
            if match:
                names.add(match.group(1))
    return names


def build(dump: str) -> list[BenchDocument]:
    packages: dict[str, dict[str, str]] = {}
    for fields in stanzas(dump):
        packages.setdefault(fields["Package"], fields)
    reverse: Counter[str] = Counter()
    for name, fields in packages.items():
        reverse.update(other for other in depended_on(fields.get("Depends", "")) if other != name)
    documents: list[BenchDocument] = []
    for name, fields in sorted(packages.items()):
        description = fields.get("Description", "").strip()
        title = f"{name} — {description}" if description else name
        section = fields.get("Section", "").rsplit("/", 1)[-1]
        documents.append(
            BenchDocument(
                url=URL.format(name=name),
                title=title[:500],
                popularity=reverse[name],
                group=DOCS_GROUP if section == "doc" else "",
            )
        )
    return documents


def apt_dump() -> str:
    if shutil.which("apt-cache") is None:
        sys.exit("bench: apt-cache is missing; the corpus is Debian's package list")
    dump = subprocess.run(
        ["apt-cache", "dumpavail"], check=True, capture_output=True, text=True
    ).stdout
    if dump.count("\nPackage: ") < 1000:
        print("bench: package lists are empty, running apt-get update", file=sys.stderr)
        subprocess.run(
            ["apt-get", "update", "-qq"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        dump = subprocess.run(
            ["apt-cache", "dumpavail"], check=True, capture_output=True, text=True
        ).stdout
    return dump


def load_corpus(cache: Path) -> list[BenchDocument]:
    """The corpus, from the cache file, or built from apt and written there first."""
    if not cache.exists():
        documents = build(apt_dump())
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".tmp")
        partial.write_bytes(orjson.dumps({"documents": documents}))
        partial.replace(cache)
    payload = orjson.loads(cache.read_bytes())
    documents: list[BenchDocument] = payload["documents"]
    return documents
