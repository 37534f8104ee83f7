"""The API against its own /openapi.json: schemathesis generates requests from the document.

Bounded (a few dozen examples an operation), over real HTTP on loopback, with a live session
so the protected operations are exercised past the auth check. Zero server errors and zero
answers outside the documented statuses, content types and schemas.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from backend import create_app
from backend.config import Config
from backend.openapi import build_document
from tests.backend.test_two_step import turn_on

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def _document() -> dict:
    """The document the app serves; building it connects to nothing."""
    offline = Config({"SMARTBRAIN_REDIS_URL": "redis://127.0.0.1:9/0", "SMARTBRAIN_DATA_DIR": "."})
    offline.database_url = "sqlite://"
    return build_document(create_app(offline))


schema = schemathesis.openapi.from_dict(_document())
# What a user with two-step verification on is asked for: codes, and more to delete the account.
with_two_step_on = schema.include(path_regex=r"^/(two-step|signin/code|profile)")


def test_the_document_describes_every_endpoint(app, client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert ("/signin", "post") in described and ("/profile/{user_id}", "get") in described
    assert {
        ("/signin/code", "post"),
        ("/two-step", "get"),
        ("/two-step/setup", "post"),
        ("/two-step/enable", "post"),
        ("/two-step/disable", "post"),
        ("/two-step/recovery-codes", "post"),
        ("/profile/{user_id}", "delete"),
    } <= described
    assert document == _document()
    served = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint not in ("static", "openapi.openapi_document")
    }
    assert len(described) == len(served) == 19
    signin = document["paths"]["/signin"]["post"]
    assert signin["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SignInBody"
    )
    assert "403" in document["paths"]["/profile/{user_id}"]["post"]["responses"]


def test_the_document_names_the_cloud_face_services_failures_for_imageurl(client):
    answers = client.get("/openapi.json").get_json()["paths"]["/imageurl"]["post"]["responses"]
    assert "face service" in answers["502"]["description"]
    assert "face service" in answers["504"]["description"]


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_contract(case, live_server, auth):
    if case.operation.path == "/imageurl":
        pytest.skip("image fetching is covered by its own tests (no network here)")
    case.call_and_validate(base_url=live_server, headers=auth.headers, checks=CHECKS)


@pytest.fixture
def two_step_auth(client, auth):
    """The signed-in user, with two-step verification on."""
    turn_on(client, auth)
    return auth


@with_two_step_on.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_two_step_and_deletion_endpoints_keep_their_contract_with_two_step_on(
    case, live_server, two_step_auth
):
    case.call_and_validate(base_url=live_server, headers=two_step_auth.headers, checks=CHECKS)
