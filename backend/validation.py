"""Turn a request's JSON body into a validated model, or a 400 in the one error shape."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from backend.errors import ApiError, invalid_input

Model = TypeVar("Model", bound=BaseModel)

_TYPE_MESSAGES = {
    "missing": "This field is required.",
    "int_type": "This must be a whole number.",
    "model_type": "This must be an object.",
}


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return _TYPE_MESSAGES.get(error["type"], "This value is not valid.")


def json_body() -> dict:
    """The request's JSON object; anything else is a 400 invalid_json."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return data


def parse_body(model: type[Model]) -> Model:
    """Validate the JSON body against `model`; field errors come back keyed by field name."""
    try:
        return model.model_validate(json_body())
    except ValidationError as error:
        fields: dict[str, str] = {}
        for item in error.errors(include_url=False):
            name = str(item["loc"][-1]) if item["loc"] else "body"
            fields.setdefault(name, _message(item))
        raise invalid_input(fields) from None
