"""Turning pydantic's validation errors into one line a person can act on."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.http.errors import ApiError

Model = TypeVar("Model", bound=BaseModel)


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


def validated(model: type[Model], data: Any, whole: str = "body") -> Model:
    """``data`` as a ``model``, or a 400 saying in one line what is wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(400, describe(error, whole=whole)) from None
