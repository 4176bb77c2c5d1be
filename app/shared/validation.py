"""Turning pydantic's validation errors into one line a person can act on.

Shared: the API's 400s (app/http/requests.py), bad settings and the command line
all say what is wrong in the same words."""

from collections.abc import Callable

from pydantic import ValidationError


def describe(error: ValidationError, whole: str = "body",
             name: Callable[[str], str] = str) -> str:
    """'title: String should have at least 1 character; url: Field required'.

    ``whole`` names the input when the error is about all of it, not a field;
    ``name`` spells a field's name (settings are named in upper case).
    """
    parts = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        # A ValueError raised by our validators reads "Value error, must not ...":
        # the message is ours and complete without pydantic's prefix.
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{name(field) if field else whole}: {message}")
    return "; ".join(parts)

