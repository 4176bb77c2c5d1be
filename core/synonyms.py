"""A domain's synonyms: words that mean the same, and one-way rules, applied at
query time (issue 28, item 3).

An owner sends groups that mean the same (``[["js", "javascript"]]``: each word
finds the others) and one-way rules (``{"k8s": ["kubernetes"]}``: "k8s" finds
"Kubernetes", not the other way). Nothing is reindexed: the search flow
(`core.search`) reads a query word that is a synonym as "the word, or one of its
alternatives", and the alternatives a title was found by join `terms`, so the
widget highlights them.

A rule's words are folded as titles are (`core.text.words`) and must each be one
word: the engines match words, and a query word is compared whole with the rules,
never as a prefix ("j" is not "js").
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.search import Fixes
from core.text import words

MAX_GROUPS = 500
"""Groups that mean the same, per domain."""
MAX_ONE_WAY = 500
"""One-way rules per domain."""
MAX_WORDS_PER_RULE = 20
"""Words in one group, or targets of one one-way rule."""


class SynonymError(ValueError):
    """A rule the service cannot keep; the owner's request gets a 400 naming it."""


@dataclass(frozen=True)
class Synonyms:
    """A domain's rules, as sent (folded), and the alternatives of each word."""

    groups: tuple[tuple[str, ...], ...] = ()
    one_way: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False,
                                                         compare=False)

    @classmethod
    def from_rules(cls, synonyms: Sequence[Sequence[str]] = (),
                   one_way: Mapping[str, Sequence[str]] | None = None) -> "Synonyms":
        """Rules checked and folded: ``SynonymError`` names the first that is not kept.

        >>> Synonyms.from_rules([["JS", "JavaScript"]]).alternatives(("js", "tips"))
        {'js': ['javascript']}
        """
        one_way = one_way or {}
        if len(synonyms) > MAX_GROUPS:
            raise SynonymError(f"synonyms: at most {MAX_GROUPS} groups, not {len(synonyms)}")
        if len(one_way) > MAX_ONE_WAY:
            raise SynonymError(f"one_way: at most {MAX_ONE_WAY} rules, not {len(one_way)}")
        folded_groups = tuple(_group(f"synonyms[{at}]", group) for at, group in enumerate(synonyms))
        folded_one_way: dict[str, tuple[str, ...]] = {}
        for key, targets in one_way.items():
            (word,) = _words(f"one_way key {key!r}", [key])
            found = folded_one_way.get(word, ())
            folded_one_way[word] = tuple(dict.fromkeys(
                (*found, *_words(f"one_way[{key!r}]", targets, minimum=1))))
        return cls(folded_groups, tuple(folded_one_way.items()),
                   _alternatives_of(folded_groups, folded_one_way))

    def alternatives(self, query: Iterable[str]) -> Fixes:
        """For each word of ``query`` that a rule names, the forms that stand for it."""
        return {word: list(forms) for word, forms in self.for_query(query)}

    def for_query(self, query: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """`alternatives` in the shape `core.engine.SearchQuery.synonyms` keeps."""
        table = self._alternatives
        return tuple((word, table[word]) for word in query if word in table)

    def __bool__(self) -> bool:
        return bool(self._alternatives)

    def as_rules(self) -> dict[str, object]:
        """The rules in the shape `PUT /v1/synonyms` takes and `GET` answers."""
        return {"synonyms": [list(group) for group in self.groups],
                "one_way": {word: list(targets) for word, targets in self.one_way}}


def _group(where: str, group: Sequence[str]) -> tuple[str, ...]:
    folded = _words(where, group, minimum=2)
    if len(set(folded)) < 2:
        raise SynonymError(f"{where}: a group needs two different words")
    return folded


def _words(where: str, given: Sequence[str], minimum: int = 1) -> tuple[str, ...]:
    """Each of ``given`` folded to exactly one word."""
    if isinstance(given, str) or not minimum <= len(given) <= MAX_WORDS_PER_RULE:
        raise SynonymError(f"{where}: give {minimum} to {MAX_WORDS_PER_RULE} words in a list")
    folded = []
    for text in given:
        found = words(text) if isinstance(text, str) else []
        if len(found) != 1:
            raise SynonymError(f"{where}: {text!r} is not one word (letters and digits)")
        folded.append(found[0])
    return tuple(dict.fromkeys(folded))


def _alternatives_of(groups: Iterable[tuple[str, ...]], one_way: Mapping[str, tuple[str, ...]]
                     ) -> dict[str, tuple[str, ...]]:
    table: dict[str, dict[str, None]] = {}
    for group in groups:
        for word in group:
            table.setdefault(word, {}).update(dict.fromkeys(w for w in group if w != word))
    for word, targets in one_way.items():
        table.setdefault(word, {}).update(dict.fromkeys(t for t in targets if t != word))
    return {word: tuple(found) for word, found in table.items() if found}
