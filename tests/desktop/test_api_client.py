"""ApiClient against the real backend, and the mapping of failures to its errors."""

from __future__ import annotations

import pytest

from desktop.api_client import ApiClient
from desktop.errors import (
    InvalidInputError,
    NotAllowedError,
    ServerUnavailableError,
    SessionEndedError,
    TooManyAttemptsError,
    UnexpectedError,
    error_from_response,
)


def test_a_token_lives_issue_use_revoke_then_401(api, account, redis_client):
    user = api.sign_in(account.email, account.password)
    assert user["name"] == "Dana"
    token = api.token
    assert api.get_profile()["email"] == account.email
    assert api.count_entry() == 1
    api.sign_out()
    assert api.token is None
    api.token, api.user_id = token, account.user_id
    with pytest.raises(SessionEndedError) as raised:
        api.get_profile()
    assert raised.value.message == "Your session has ended. Please sign in again."


def test_restore_session_from_a_token(api, account, live_server):
    api.sign_in(account.email, account.password)
    restored = ApiClient(live_server)
    user = restored.restore_session(api.token)
    assert (user["id"], user["entries"]) == (account.user_id, 0)
    assert restored.token == api.token


def test_restore_session_forgets_a_dead_token(api):
    with pytest.raises(SessionEndedError):
        api.restore_session("not-a-token")
    assert api.token is None


def test_wrong_password(api, account):
    with pytest.raises(InvalidInputError) as raised:
        api.sign_in(account.email, "wrong password")
    assert raised.value.code == "invalid_credentials"


def test_register_field_errors(api, account):
    with pytest.raises(InvalidInputError) as raised:
        api.register("Dana", account.email, "long enough")
    assert raised.value.code == "email_taken"
    assert "email" in raised.value.fields
    with pytest.raises(InvalidInputError) as raised:
        api.register("", "not an email", "short")
    assert set(raised.value.fields) == {"name", "email", "password"}


def test_another_users_profile_is_not_allowed(api, make_account):
    dana, fox = make_account("Dana"), make_account("Fox")
    api.sign_in(dana.email, dana.password)
    api.user_id = fox.user_id
    with pytest.raises(NotAllowedError):
        api.get_profile()


def test_sessions_list_marks_this_one(api, account):
    api.sign_in(account.email, account.password)
    sessions = api.list_sessions()
    assert [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])
    api.revoke_session(other["id"])
    assert len(api.list_sessions()) == len(sessions) - 1


def test_unreachable_server(closed_url):
    with pytest.raises(ServerUnavailableError) as raised:
        ApiClient(closed_url).sign_in("dana@example.com", "whatever1")
    assert "cannot be reached" in raised.value.message


def test_slow_server_times_out(canned_server):
    url = canned_server(200, {}, delay=1.0)
    with pytest.raises(ServerUnavailableError) as raised:
        ApiClient(url, timeout=0.2).sign_in("dana@example.com", "whatever1")
    assert "too long" in raised.value.message


def test_an_answer_off_the_contract_is_unexpected(canned_server):
    url = canned_server(200, {"surprise": True})
    with pytest.raises(UnexpectedError):
        ApiClient(url).sign_in("dana@example.com", "whatever1")


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "kind", "attributes"),
    [
        (401, {"error": {"code": "unauthorized"}}, None, SessionEndedError, {}),
        (403, {"error": {"code": "forbidden"}}, None, NotAllowedError, {}),
        (429, None, "42", TooManyAttemptsError, {"retry_after": 42}),
        (429, None, "Wed, 21 Oct 2015 07:28:00 GMT", TooManyAttemptsError, {"retry_after": 60}),
        (503, {"error": {"code": "unavailable"}}, None, ServerUnavailableError, {}),
        (
            503,
            {"error": {"code": "busy", "message": "SmartBrain is busy finding faces."}},
            "2",
            ServerUnavailableError,
            {"message": "SmartBrain is busy finding faces."},
        ),
        (500, "oops", None, UnexpectedError, {}),
        (
            400,
            {"error": {"code": "invalid_input", "fields": {"formInput.age": "Too old."}}},
            None,
            InvalidInputError,
            {"fields": {"age": "Too old."}, "code": "invalid_input"},
        ),
        (
            409,
            {"error": {"code": "email_taken", "message": "Taken.", "fields": {"email": "x"}}},
            None,
            InvalidInputError,
            {"message": "Taken.", "fields": {"email": "x"}},
        ),
        (413, {"error": {"code": "payload_too_large"}}, None, InvalidInputError, {"fields": {}}),
    ],
)
def test_error_from_response(status, body, retry_after, kind, attributes):
    error = error_from_response(status, body, retry_after)
    assert type(error) is kind
    assert error.message
    for name, value in attributes.items():
        assert getattr(error, name) == value


CLARIFAI_ANSWER = {
    "outputs": [
        {
            "data": {
                "regions": [
                    {
                        "region_info": {
                            "bounding_box": {
                                "top_row": 0.1,
                                "left_col": 0.2,
                                "bottom_row": 0.5,
                                "right_col": 0.6,
                            }
                        }
                    }
                ]
            }
        }
    ]
}


def test_detect_faces_reads_clarifais_shape(canned_server):
    api = ApiClient(canned_server(200, CLARIFAI_ANSWER))
    box = {"top_row": 0.1, "left_col": 0.2, "bottom_row": 0.5, "right_col": 0.6}
    assert api.detect_faces(b"\xff\xd8\xff") == [box]


def test_no_faces_is_an_empty_list(canned_server):
    api = ApiClient(canned_server(200, {"outputs": [{"data": {}}]}))
    assert api.detect_faces(b"\xff\xd8\xff") == []
