"""What a relevance case is, and the four kinds of expectation."""

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["first", "top", "ordered", "none"]
DEFAULT_SIZE = 10  # the API's default `n`


@dataclass(frozen=True)
class Case:
    """A query on a corpus and what a user would want at the top of the results.

    - ``first``: ``expected[0]`` is the first result.
    - ``top``: every name in ``expected`` is within the first ``n`` results
      (``n`` defaults to ``len(expected)``), in any order.
    - ``ordered``: the first ``len(expected)`` results are ``expected``, in order.
    - ``none``: no results at all.

    Names are the corpus's short names for URLs (see corpora.py). ``xfail``
    holds the reason when the engine, not the case, is believed to be wrong.
    """

    category: str
    corpus: str
    query: str
    kind: Kind
    expected: tuple[str, ...]
    why: str
    n: int = 0
    groups: tuple[str, ...] = ()
    size: int = DEFAULT_SIZE
    xfail: str = ""

    def __post_init__(self) -> None:
        if (self.kind == "none") != (not self.expected):
            raise ValueError(f"{self.id}: only 'none' cases expect nothing")
        if self.kind == "first" and len(self.expected) != 1:
            raise ValueError(f"{self.id}: a 'first' case expects one name")
        if not self.why:
            raise ValueError(f"{self.id}: say why")
        if self.window > self.size:
            raise ValueError(f"{self.id}: n is larger than the results asked for")

    @property
    def window(self) -> int:
        return self.n or len(self.expected)

    @property
    def id(self) -> str:
        query = re.sub(r"\s+", "_", self.query.strip()) or "_"
        groups = f"+g={','.join(self.groups)}" if self.groups else ""
        return f"{self.category}:{self.corpus}:{query}{groups}:{self.kind}"

    def describe(self) -> str:
        if self.kind == "none":
            return "no results"
        names = ", ".join(self.expected)
        if self.kind == "first":
            return f"first {names}"
        if self.kind == "ordered":
            return f"in order [{names}]"
        return f"{{{names}}} within the top {self.window}"


def first(category: str, corpus: str, query: str, name: str, why: str,
          **options: object) -> Case:
    return Case(category, corpus, query, "first", (name,), why, **options)  # type: ignore[arg-type]


def top(category: str, corpus: str, query: str, names: list[str], why: str,
        **options: object) -> Case:
    return Case(category, corpus, query, "top", tuple(names), why, **options)  # type: ignore[arg-type]


def ordered(category: str, corpus: str, query: str, names: list[str], why: str,
            **options: object) -> Case:
    return Case(category, corpus, query, "ordered", tuple(names), why, **options)  # type: ignore[arg-type]


def none(category: str, corpus: str, query: str, why: str, **options: object) -> Case:
    return Case(category, corpus, query, "none", (), why, **options)  # type: ignore[arg-type]
