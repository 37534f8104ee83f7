"""The request contract the decorators record: what /openapi.json and the body cap read."""

from __future__ import annotations

import re

from backend.contract import operations


def test_the_operations_marked_protected_are_exactly_those_that_need_a_session(app, client):
    declared = operations(app)
    checked = 0
    for rule in app.url_map.iter_rules():
        operation = declared.get(rule.endpoint)
        if operation is None:
            continue
        path = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            status = client.open(path, method=method).status_code
            assert (status == 401) == operation.protected, (method, path, status)
            checked += 1
    assert checked == 19


def test_only_the_image_endpoint_takes_an_upload(app):
    uploads = {name for name, op in operations(app).items() if op.upload_field}
    assert uploads == {"image.detect_faces"}


def test_each_route_lives_in_the_blueprint_named_after_its_resource(app):
    blueprint_of = {
        rule.rule: rule.endpoint.split(".")[0]
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert blueprint_of == {
        "/register": "auth",
        "/signin": "auth",
        "/signout": "auth",
        "/signout/everywhere": "auth",
        "/signin/code": "auth",
        "/sessions": "sessions",
        "/sessions/<session_id>": "sessions",
        "/password": "password",
        "/profile/<int:user_id>": "profile",
        "/two-step": "two_step",
        "/two-step/setup": "two_step",
        "/two-step/enable": "two_step",
        "/two-step/disable": "two_step",
        "/two-step/recovery-codes": "two_step",
        "/imageurl": "image",
        "/image": "image",
        "/health": "health",
        "/openapi.json": "openapi",
    }
