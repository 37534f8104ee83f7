"""/openapi.json, built from the same pydantic models that validate the requests.

A view declares its request body, success body and possible errors once, with `@endpoint`;
that declaration both parses the body (handing it to the view as `body`) and documents it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, request
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from backend import responses
from backend.statuses import STATUSES
from backend.validation import parse_body

_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    response: tuple[type[BaseModel], ...]
    body: type[BaseModel] | None
    body_absent_when: Callable[[], bool] | None
    errors: tuple[int, ...]
    upload_field: str | None


def endpoint(
    response: type[BaseModel] | tuple[type[BaseModel], ...],
    *,
    body: type[BaseModel] | None = None,
    body_absent_when: Callable[[], bool] | None = None,
    errors: tuple[int, ...] = (),
    upload_field: str | None = None,
):
    """Declare a view's contract; with `body`, the view receives the validated body.

    The view receives None instead when `body_absent_when()` says the request sends none, or
    when it uploads a file in `upload_field`.
    """
    answers = response if isinstance(response, tuple) else (response,)
    operation = Operation(answers, body, body_absent_when, errors, upload_field)

    def decorate(view):
        if body is None:
            view.operation = operation
            return view

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            skip = (body_absent_when and body_absent_when()) or (
                upload_field and request.mimetype == "multipart/form-data"
            )
            kwargs["body"] = None if skip else parse_body(body)
            return view(*args, **kwargs)

        wrapper.operation = operation  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _path(rule: str) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), parameters


def _error_statuses(operation: Operation, protected: bool, has_parameters: bool) -> set[int]:
    statuses = {413, 503, *operation.errors}  # any body over the cap is refused, read or not
    if operation.body is not None:
        statuses.add(400)
    if protected:
        statuses.add(401)
    if has_parameters:
        statuses.add(404)
    return statuses


def _request_body(operation: Operation) -> dict[str, Any] | None:
    if operation.body is None:
        return None
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": _ref(operation.body)}}}
    if operation.upload_field:
        field = {"type": "string", "format": "binary"}
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "properties": {operation.upload_field: field},
                "required": [operation.upload_field],
            }
        }
    return {"required": operation.body_absent_when is None, "content": content}


def _ref(model: type[BaseModel]) -> str:
    return _REF.format(model=model.__name__)


def build_document(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict] = {}
    models: set[tuple[type[BaseModel], JsonSchemaMode]] = {(responses.Error, "serialization")}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        operation: Operation | None = getattr(view, "operation", None)
        if operation is None:
            continue
        path, parameters = _path(rule.rule)
        protected = getattr(view, "requires_auth", False)
        success = [{"$ref": _ref(model)} for model in operation.response]
        answers: dict[str, Any] = {
            "200": {
                "description": "Success",
                "content": {
                    "application/json": {
                        "schema": success[0] if len(success) == 1 else {"anyOf": success}
                    }
                },
            }
        }
        for status in sorted(_error_statuses(operation, protected, bool(parameters))):
            answers[str(status)] = {
                "description": STATUSES[status].documented,
                "content": {"application/json": {"schema": {"$ref": _ref(responses.Error)}}},
            }
        models.update((model, "serialization") for model in operation.response)
        spec: dict[str, Any] = {
            "operationId": rule.endpoint.replace(".", "_"),
            "summary": (view.__doc__ or "").strip().splitlines()[0],
            "parameters": parameters,
            "responses": answers,
        }
        body = _request_body(operation)
        if body is not None:
            models.add((operation.body, "validation"))  # type: ignore[arg-type]
            spec["requestBody"] = body
        if protected:
            spec["security"] = [{"token": []}]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = spec
    _, schemas = models_json_schema(sorted(models, key=lambda m: m[0].__name__), ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SmartBrain API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The session token, bare or as `Bearer <token>`",
                }
            },
        },
    }


bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def openapi_document():
    """This API's OpenAPI 3.1 description."""
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = build_document(current_app)
    return current_app.extensions["openapi"]
