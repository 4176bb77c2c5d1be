"""Request models: what a valid document and a valid search look like.

Shared: the API validates requests with them (app/http/requests.py), `autocompeter
load` and the importer validate titles with them, and the OpenAPI description
(app/pages/openapi.py) takes its request bodies from them."""

import re
from collections.abc import Iterable
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from app.shared.domains import MAX_LENGTH as MAX_DOMAIN_LENGTH
from app.shared.domains import normalize_domain
from app.shared.validation import describe
from core.store import Document
from core.suggestions import MAX_EXCLUDED, MAX_EXCLUDED_LENGTH, MAX_SUGGESTIONS
from core.synonyms import MAX_GROUPS, MAX_ONE_WAY, MAX_WORDS_PER_RULE
from core.text import MAX_WORD_LENGTH
from core.tokens import MAX_TOKEN_GROUPS, MAX_TOKEN_LENGTH

# C0 (but tab, newline, return), DEL and C1: invisible, and some break terminals and logs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_comma(value: str) -> str:
    if "," in value:
        raise ValueError("must not contain a comma: searches list groups as g=a,b")
    return value


def _blank_as_default(value: object) -> object:
    if isinstance(value, bool):  # pydantic would take true as 1.0
        raise ValueError("must be a number, not true or false")
    return 0 if value is None or value == "" else value


MAX_POPULARITY = 1e15
"""A popularity is between -MAX_POPULARITY and MAX_POPULARITY, on every setup.

OpenSearch keeps it (and the ranking made of it, `core.ranking.ranking_value`) as a
32-bit float, finite only below 3.4e38: a larger one was stored but never indexed,
or made infinite by a click's bonus. Here the ranking is at most 11e15 (CLICK_BOOST
is at most 10), finite everywhere with room to spare, and every whole popularity
up to a quadrillion is kept exactly by the stores' doubles (exact up to 2**53)."""


def _within_popularity_range(value: float) -> float:
    if abs(value) > MAX_POPULARITY:
        raise PydanticCustomError(
            "popularity_range", "must be between -1e15 and 1e15 (got {shown})",
            {"shown": f"{value:g}"})
    return value


def _none_as_empty(value: object) -> object:
    return "" if value is None else value


# What a browser's URL parser does before it reads a link: it drops every tab and
# newline, wherever they are, and takes a backslash for a slash (in http(s) URLs).
_AS_BROWSERS_READ = str.maketrans({"\t": None, "\n": None, "\r": None, "\\": "/"})


def _site_path(value: str) -> bool:
    """A path on the widget's own site: `/\\evil.example/x` and `/<TAB>/evil.example/x`
    are not, as browsers read them as `//evil.example/x`, a link to another host."""
    return value.startswith("/") and not value.translate(_AS_BROWSERS_READ).startswith("//")


def _link(value: str) -> str:
    """An absolute http(s) URL, or a path on the site that uses the widget.

    The widget makes each result a link; anything else (``notaurl``,
    ``javascript:...``, ``//other.host/``) would be a dead or foreign link.
    """
    if _site_path(value):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise PydanticCustomError(
            "url", "must be an http(s) URL or a path starting with / (got '{shown}')",
            {"shown": shown})
    return value


def Text(max_length: int, min_length: int = 0) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_printable),
    ]


StoredUrl = Text(2048, min_length=1)
"""A URL as a title is stored under: what a delete or a lookup names."""


GroupName = Annotated[Text(100, min_length=1), AfterValidator(_no_comma)]
"""A group as documents name it (`DocumentIn.group`), not the empty one (everyone's)."""

MAX_PRIVATE_GROUPS = MAX_TOKEN_GROUPS
"""Private groups per domain: a token can then grant every one of them."""


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Annotated[StoredUrl, AfterValidator(_link), Field(
        description="where the result links to: an http(s) URL, or a path on your site "
                    "starting with /; one title per URL, so sending it again replaces it",
        examples=["https://example.com/about"])]
    title: Annotated[Text(500, min_length=1), Field(
        description="what visitors see and what is searched", examples=["About us"])]
    group: Annotated[Text(100), BeforeValidator(_none_as_empty), AfterValidator(_no_comma),
                     Field(description="titles in a group are found only by searches that "
                                       "ask for it (g=...); empty means everyone",
                           examples=["staff"])] = ""
    popularity: Annotated[
        float, Field(allow_inf_nan=False, description="a number from -1e15 to 1e15; higher "
                     "comes first among equally good matches", examples=[10],
                     json_schema_extra={"minimum": -MAX_POPULARITY,
                                        "maximum": MAX_POPULARITY}),
        BeforeValidator(_blank_as_default), AfterValidator(_within_popularity_range)
    ] = 0.0

    def to_document(self) -> Document:
        return Document(self.url, self.title, self.group, self.popularity)


class UrlParam(BaseModel):
    url: StoredUrl


def validate_documents(entries: Iterable[object]) -> tuple[list[Document], list[tuple[int, str]]]:
    """The valid entries as documents, and (position, error) for each invalid one:
    a bulk or a file stores what is valid and reports the rest, never drops it silently."""
    documents, rejected = [], []
    for index, entry in enumerate(entries):
        try:
            documents.append(DocumentIn.model_validate(entry).to_document())
        except ValidationError as error:
            rejected.append((index, describe(error, whole="document")))
    return documents, rejected


def _split_groups(value: object) -> object:
    if isinstance(value, str):
        return tuple(group.strip() for group in value.split(",") if group.strip())
    return value


# 255 lets a name of 253 through with room for the trailing dot normalize_domain
# drops; the documented limit is the host name's own 253 (app/shared/domains.py).
DomainParam = Annotated[Text(255, min_length=1), AfterValidator(normalize_domain),
                        Field(json_schema_extra={"maxLength": MAX_DOMAIN_LENGTH})]
QueryParam = Text(200, min_length=1)


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    d: DomainParam
    q: QueryParam
    n: int = Field(10, ge=1, le=100)
    g: Annotated[tuple[Text(100), ...], BeforeValidator(_split_groups)] = ()
    t: Annotated[str, Field(max_length=MAX_TOKEN_LENGTH)] = ""
    """A signed token granting private groups (core/tokens.py); checked by app/http/access.py."""
    s: int = Field(0, ge=0, le=MAX_SUGGESTIONS)
    """Query suggestions wanted in the answer (app/http/suggestions.py); 0: no key."""


class PrivateGroupsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    private: Annotated[list[GroupName], Field(
        max_length=MAX_PRIVATE_GROUPS,
        description="every group of the domain that only a signed token opens; "
                    "replaces the ones set before ([] makes every group public again)",
        examples=[["staff"]])]


class ClickIn(SearchParams):
    """A visitor chose the result ``url`` among those of the search ``d``, ``q``, ``n``,
    ``g``, ``t`` (as the widget searched): it counts only if the service gives ``url``
    for that search."""

    d: Annotated[DomainParam, Field(description="the domain searched", examples=["demo"])]
    q: Annotated[QueryParam, Field(description="what was typed when the result was chosen",
                                   examples=["json du"])]
    url: Annotated[StoredUrl, Field(description="the chosen result's URL; one that is not "
                                    "among the results of the search is ignored",
                                    examples=["https://example.com/a"])]


SynonymWord = Text(MAX_WORD_LENGTH, min_length=1)
SynonymWords = Annotated[list[SynonymWord], Field(max_length=MAX_WORDS_PER_RULE)]


class SynonymsIn(BaseModel):
    """A domain's synonyms (`core.synonyms`): each replaces all those set before."""

    model_config = ConfigDict(extra="forbid")

    synonyms: Annotated[list[SynonymWords], Field(
        max_length=MAX_GROUPS,
        description="groups of words that mean the same: each finds the others' titles",
        examples=[[["js", "javascript"]]])] = []
    one_way: Annotated[dict[SynonymWord, SynonymWords], Field(
        max_length=MAX_ONE_WAY,
        description="a word and the words it also finds, not the other way round",
        examples=[{"k8s": ["kubernetes"]}])] = {}


class SuggestionsIn(BaseModel):
    """The owner's controls of a domain's query suggestions (`core.suggestions`): each
    `PUT` replaces all of them, an absent one taking its default. Strict: a JSON body,
    where true is not 1 and "2" is not 2."""

    model_config = ConfigDict(extra="forbid")

    enabled: Annotated[bool, Field(
        strict=True, description="false: searches that ask get an empty list")] = True
    min_count: Annotated[int, Field(
        strict=True, ge=1, le=1_000_000, description="times in the last 30 days a search must have "
                                        "been a visitor's intent and found titles")] = 2
    min_results: Annotated[int, Field(
        strict=True, ge=1, le=100,
        description="titles a suggestion must find for a visitor with no private groups")] = 1
    exclude: Annotated[list[Text(MAX_EXCLUDED_LENGTH, min_length=1)], Field(
        max_length=MAX_EXCLUDED,
        description="searches never suggested, folded; a one-word phrase excludes every "
                    "search with that word", examples=[["free", "cheap pills"]])] = []
