"""The demo corpus: the Python standard library's modules, functions and classes.

Every machine that runs Autocompeter has these titles, so the demo needs no
download. The sources are read with `ast`, never imported, and popularity is
how often the rest of the standard library imports a module or uses a name.
"""

import ast
import sysconfig
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.store import Document

DOCS = "https://docs.python.org/3/library/"
SKIPPED_PARTS = {"test", "tests", "idlelib", "lib2to3", "turtledemo", "ensurepip",
                 "site-packages", "dist-packages", "__pycache__", "__main__"}


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
        if any("-" in p or "." in p for p in parts):
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            continue
        yield Module(".".join(parts), tree)


def first_line(node: ast.AST) -> str:
    doc = ast.get_docstring(node, clean=True) if isinstance(
        node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) else None
    return doc.strip().splitlines()[0].strip() if doc else ""


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
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                counts[f"{node.value.id}.{node.attr}"] += 1
    return counts


def public_members(module: Module) -> Iterator[tuple[str, str]]:
    for node in module.tree.body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not node.name.startswith("_")
            and (summary := first_line(node))
        ):
            yield node.name, summary


def documents(root: Path | None = None) -> list[Document]:
    modules = list(stdlib_modules(root))
    counts = usage_counts(modules)
    result = []
    for module in modules:
        page = DOCS + module.name.split(".")[0] + ".html"
        summary = first_line(module.tree)
        title = f"{module.name} — {summary}" if summary else module.name
        result.append(Document(f"{page}#module-{module.name}", title[:500], "",
                               float(counts[module.name])))
        for name, summary in public_members(module):
            qualified = f"{module.name}.{name}"
            last = module.name.rsplit(".", 1)[-1]
            popularity = counts[qualified] + counts[f"{last}.{name}"]
            result.append(Document(f"{page}#{qualified}", f"{qualified} — {summary}"[:500],
                                   "", float(popularity)))
    return result
