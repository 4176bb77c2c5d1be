"""The demo corpus: the Python standard library's modules, functions and classes.

Every machine that runs Autocompeter has these titles, so the demo needs no
download. The sources are read with `ast`, never imported, and popularity is
how often the rest of the standard library imports a module or uses a name.

Only what the Python documentation documents is listed, under the name it is
documented as (``os.path.join``, not ``posixpath.join``; ``asyncio.gather``,
not ``asyncio.tasks.gather``) and linked to the page and anchor that exist.
Which names those are comes from app/pages/demo_docs.txt, made from the
documentation's own index by scripts/demo_docs_index.py.
"""

import ast
import re
import sysconfig
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.store import Document

DEMO_DOMAIN = "demo"
DOCS = "https://docs.python.org/3/library/"
DOCUMENTED = Path(__file__).with_name("demo_docs.txt")
SKIPPED_PARTS = {"test", "tests", "idlelib", "lib2to3", "turtledemo", "ensurepip",
                 "site-packages", "dist-packages", "__pycache__", "__main__"}
# Modules removed from later Pythons (PEP 594, PEP 632, ...): docs.python.org/3/
# no longer has their pages, so they would be dead links.
REMOVED = {"distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi",
           "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib",
           "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib"}
# Modules documented under another name: os.path is posixpath on this machine,
# and some of its functions come from genericpath (whose own docstring is not
# about os.path, so it names no module here).
MODULE_DOCUMENTED_AS = {"posixpath": "os.path"}
MEMBERS_DOCUMENTED_IN = {**MODULE_DOCUMENTED_AS, "genericpath": "os.path"}
MAX_TITLE = 500


@dataclass
class Module:
    name: str
    tree: ast.Module


def stdlib_modules(root: Path | None = None) -> Iterator[Module]:
    root = root or Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or any(p in SKIPPED_PARTS or p.startswith("_") for p in parts):
            continue
        if any("-" in p or "." in p for p in parts) or parts[0] in REMOVED:
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            continue
        yield Module(".".join(parts), tree)


Pages = dict[str, str]


def anchor(name: str, is_module: bool) -> str:
    """The anchor of a name on its page, as Sphinx makes them."""
    return f"module-{name}" if is_module else name


def default_page(anchor: str) -> str:
    """Where most names are documented: a module on its page, a member on its module's."""
    if anchor.startswith("module-"):
        return anchor.removeprefix("module-")
    return anchor.rsplit(".", 1)[0]


@cache
def documented_pages() -> Pages:
    """Anchor -> its page's file name, e.g. 'asyncio.gather' -> 'asyncio-task'.

    A line of demo_docs.txt is an anchor ('module-json', 'json.dumps') when it is
    on its default page, and 'anchor page' otherwise.
    """
    pages = {}
    for line in DOCUMENTED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, *page = line.split()
            pages[name] = page[0] if page else default_page(name)
    return pages


# Roles and literals of reStructuredText: :func:`os.path.join`, ``None``, *args*.
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``(.+?)``|`([^`]+)`")
_EMPHASIS = re.compile(r"(?<![\w*])\*\*?([^*\s][^*]*?)\*\*?(?![\w*])")
# A sentence ends at . ! or ? followed by a space or the end, except after
# these abbreviations.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "resp.")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def plain_text(text: str) -> str:
    """reST markup removed: what a reader of the rendered docs sees."""
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPHASIS.sub(r"\1", text)
    return text.replace("::", ":").replace("\\", "")


def first_sentence(paragraph: str) -> str:
    for end in _SENTENCE_END.finditer(paragraph):
        sentence = paragraph[: end.end()]
        last_word = sentence.rsplit(None, 1)[-1].lower()
        if last_word.endswith(_ABBREVIATIONS):
            continue
        return sentence
    return paragraph  # one sentence without a full stop: still whole


# Docstrings of C-style functions start with their signature, some modules with
# a heading underlined with ~~~ or ===: neither is a sentence about the thing.
_SIGNATURE = re.compile(r"[\w.]+\(.*\)|.*( -> |=None, ).*")
_HEADING = re.compile(r".*\s[~=-]{3,}|\+? ?PROVISIONAL")
_FILE_NAME = re.compile(r"^\w+\.py\s+-\s+")  # "csv.py - read/write CSV files"


def summary(node: ast.AST, name: str = "") -> str:
    """The first sentence of the docstring, without markup; '' if there is none."""
    doc = ast.get_docstring(node, clean=True) if isinstance(
        node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) else None
    for paragraph in (doc or "").strip().split("\n\n"):
        text = " ".join(paragraph.split())
        if not text or _SIGNATURE.fullmatch(text) or _HEADING.fullmatch(text):
            continue
        if text.lower().rstrip(".") in (name.lower(), name.rsplit(".", 1)[-1].lower()):
            continue  # "curses" for curses says nothing
        return first_sentence(plain_text(_FILE_NAME.sub("", text))).strip()
    return ""


def usage_counts(modules: list[Module]) -> Counter[str]:
    """How many times each module is imported and each `module.name` is used."""
    counts: Counter[str] = Counter()
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                counts.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                counts[node.module] += 1
                counts.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Attribute) and (name := dotted(node)):
                counts[name] += 1  # os.path.join as a whole
                if "." in name[: name.rindex(".")]:
                    counts[name.split(".", 1)[1]] += 1  # and as path.join
    return counts


def dotted(node: ast.expr) -> str | None:
    """'os.path.join' for that chain of attributes on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


def public_members(module: Module) -> Iterator[tuple[str, str]]:
    for node in module.tree.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not node.name.startswith("_")
            and (text := summary(node, node.name))
        ):
            yield node.name, text


def documented_name(pages: Pages, module: str, member: str | None = None) -> str | None:
    """The name the docs use for a module or one of its members, if they document it.

    A package's submodule is often documented under the package (asyncio.tasks.gather
    is asyncio.gather), so shorter parents are tried after the full name.
    """
    if member is None:
        module = MODULE_DOCUMENTED_AS.get(module, module)
        return module if anchor(module, True) in pages else None
    module = MEMBERS_DOCUMENTED_IN.get(module, module)
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        name = ".".join([*parts[:length], member])
        if name in pages:
            return name
    return None


def link(pages: Pages, name: str, is_module: bool) -> str:
    on_page = anchor(name, is_module)
    return f"{DOCS}{pages[on_page]}.html#{on_page}"


def title(name: str, text: str) -> str:
    whole = f"{name} — {text}" if text else name
    if len(whole) <= MAX_TITLE:
        return whole
    return whole[: MAX_TITLE - 1].rsplit(" ", 1)[0] + "…"


def documents(root: Path | None = None, pages: Pages | None = None) -> list[Document]:
    pages = documented_pages() if pages is None else pages
    modules = list(stdlib_modules(root))
    counts = usage_counts(modules)
    result: dict[str, Document] = {}
    for module in modules:
        if (name := documented_name(pages, module.name)) is not None:
            result.setdefault(name, Document(link(pages, name, True),
                                             title(name, summary(module.tree, name)), "",
                                             float(counts[module.name])))
        last = module.name.rsplit(".", 1)[-1]
        for member, text in public_members(module):
            name = documented_name(pages, module.name, member)
            if name is None or name in result:
                continue
            popularity = counts[f"{module.name}.{member}"] + counts[f"{last}.{member}"]
            if name != f"{module.name}.{member}":
                popularity += counts[name]
            result[name] = Document(link(pages, name, False), title(name, text), "",
                                    float(popularity))
    return list(result.values())
