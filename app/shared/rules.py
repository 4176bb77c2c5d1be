"""A site owner's rules for a domain's searches, kept as JSON by `Store.domain_rules`:
its synonyms (`core.synonyms`) and its query suggestions' controls
(`core.suggestions`). One kind each, read and checked the same way by the HTTP
routes (app/http/rules_api.py), the command line (app/cli/rules.py) and the workers
that search with them (app/http/synonym_book.py, app/http/suggestions.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from app.shared.errors import Refused
from app.shared.models import SuggestionsIn, SynonymsIn
from app.shared.validation import describe
from core.suggestions import SuggestionRules
from core.synonyms import SynonymError, Synonyms

Rules = TypeVar("Rules", Synonyms, SuggestionRules)
Body = dict[str, Any]


class RulesRefused(Refused):
    """A body the service cannot keep: the route answers 400 with this line, the
    command prints it and exits 2; nothing stored changes."""


@dataclass(frozen=True)
class RuleKind(Generic[Rules]):
    """One kind of rules: its name (`/v1/NAME`, the command, `Store.domain_rules`'
    key), how a body is checked, and how the stored JSON is read back."""

    name: str
    checked: Callable[[Body], Rules]
    """The rules a `PUT` body sends, or `RulesRefused` naming the first problem."""
    read: Callable[[Body], Rules]
    """Rules as they were stored: checked then, so read as they are."""
    default: Callable[[], Rules]
    as_body: Callable[[Rules], Body]
    """The rules as `GET` answers them (and `PUT` takes them back)."""

    def stored(self, text: str | None) -> Rules:
        """The stored JSON text read back; the defaults when never set."""
        return self.read(orjson.loads(text)) if text else self.default()

    def to_store(self, rules: Rules) -> str:
        return orjson.dumps(self.as_body(rules)).decode()


def model_of(model: type[BaseModel], body: Body) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise RulesRefused(describe(error, whole="body")) from None


def checked_synonyms(body: Body) -> Synonyms:
    sent = model_of(SynonymsIn, body)
    try:
        return Synonyms.from_rules(sent.synonyms, sent.one_way)
    except SynonymError as error:
        raise RulesRefused(str(error)) from None


def checked_suggestions(body: Body) -> SuggestionRules:
    return SuggestionRules.from_settings(**model_of(SuggestionsIn, body).model_dump())


SYNONYMS = RuleKind("synonyms", checked_synonyms, lambda body: Synonyms.from_rules(**body),
                    Synonyms, Synonyms.as_rules)
SUGGESTIONS = RuleKind("suggestions", checked_suggestions,
                       lambda body: SuggestionRules.from_settings(**body), SuggestionRules,
                       SuggestionRules.as_settings)
KINDS = (SYNONYMS, SUGGESTIONS)
