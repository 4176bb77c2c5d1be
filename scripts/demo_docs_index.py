"""Write app/pages/demo_docs.txt: which standard-library names the Python docs document, and where.

    python scripts/demo_docs_index.py path/to/objects.inv

objects.inv is the documentation's own index (Sphinx inventory v2): from
https://docs.python.org/3/objects.inv, or /usr/share/doc/python3.X/html/objects.inv
of Debian's python3.X-doc package. Only the names the demo corpus can use (the
modules, functions, classes and exceptions whose source this Python has) are
written, so the file stays small.
"""

import re
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.pages.demo import DOCUMENTED, anchor, default_page, documents

KINDS = {"py:module", "py:function", "py:class", "py:exception"}
LINE = re.compile(r"(?x)(?P<name>.+?)\s+(?P<kind>\S+)\s+-?\d+\s+(?P<location>\S*)\s+.*")


def read_inventory(path: Path) -> dict[str, str]:
    """Anchor -> page file name (library/os.path.html#module-os.path -> 'os.path')."""
    header, _version, _project, _note, body = path.read_bytes().split(b"\n", 4)
    if header != b"# Sphinx inventory version 2":
        raise SystemExit(f"{path}: not a Sphinx inventory version 2")
    pages = {}
    for line in zlib.decompress(body).decode().splitlines():
        match = LINE.fullmatch(line)
        if match and match["kind"] in KINDS and match["location"].startswith("library/"):
            page = match["location"].removeprefix("library/").split(".html", 1)[0]
            pages.setdefault(anchor(match["name"], match["kind"] == "py:module"), page)
    return pages


def main(inventory: str) -> None:
    pages = read_inventory(Path(inventory))
    lines = []
    for document in documents(pages=pages):
        on_page = document.url.rpartition("#")[2]
        page = pages[on_page]
        lines.append(on_page if page == default_page(on_page) else f"{on_page} {page}")
    header = ["# Made by scripts/demo_docs_index.py from the Python documentation's",
              "# objects.inv: the anchors the demo links to, each with its page when that",
              "# is not the module's own (for a member: its name without the last part)."]
    DOCUMENTED.write_text("\n".join([*header, *sorted(lines)]) + "\n", encoding="utf-8")
    print(f"{DOCUMENTED}: {len(lines)} names", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
