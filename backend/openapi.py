"""/openapi.json, read from the request contract (backend/contract.py) and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from backend import responses
from backend.contract import Operation, operations
from backend.statuses import STATUSES

_REF = "#/components/schemas/{model}"


def _path(rule: str) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), parameters


def _error_statuses(operation: Operation, has_parameters: bool) -> set[int]:
    statuses = {413, 503, *operation.errors}  # any body over the cap is refused, read or not
    if operation.body is not None:
        statuses.add(400)
    if operation.protected:
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
    declared = operations(app)
    for rule in app.url_map.iter_rules():
        operation = declared.get(rule.endpoint)
        if operation is None:
            continue
        path, parameters = _path(rule.rule)
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
        for status in sorted(_error_statuses(operation, bool(parameters))):
            answers[str(status)] = {
                "description": STATUSES[status].documented,
                "content": {"application/json": {"schema": {"$ref": _ref(responses.Error)}}},
            }
        models.update((model, "serialization") for model in operation.response)
        spec: dict[str, Any] = {
            "operationId": rule.endpoint.replace(".", "_"),
            "summary": operation.summary,
            "parameters": parameters,
            "responses": answers,
        }
        body = _request_body(operation)
        if body is not None:
            models.add((operation.body, "validation"))  # type: ignore[arg-type]
            spec["requestBody"] = body
        if operation.protected:
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
