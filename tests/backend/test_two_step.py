"""Two-step verification end to end against the real app: turning it on, signing in with a
code from an authenticator app (computed here with pyotp from the secret the API gave, at this
test's clock) or a recovery code, replays refused, the window's edges, the challenge's life, the
shared failure limits, and turning it off.

The server checks codes against the real clock. A test that sends codes of chosen steps waits,
where needed, until the current step has a few seconds left (`steady_now`), so the step it
computed for is still the server's when the request lands.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
import pytest
from sqlalchemy import text

from backend import totp
from backend.challenges import LIFETIME_SECONDS
from backend.extensions import db
from backend.token_store import hash_token
from tests.backend import test_many_processes
from tests.backend.test_many_processes import call
from tests.conftest import TEST_PASSWORD, SignedIn

two_backends = test_many_processes.two_backends

STEP = totp.STEP_SECONDS
RECOVERY_CODE = re.compile(r"^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$")
SECOND_STEP_MESSAGE = (
    "This account uses two-step verification. Enter the code from your authenticator app."
)
STRANGER = {"REMOTE_ADDR": "203.0.113.50"}
SHARED_SECRET_KEY = "a secret key both test servers share, 32+ chars"


def steady_now(margin: float = 4.0) -> float:
    """The time, once at least `margin` seconds are left in the current step."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.2)
    return time.time()


@dataclass
class TwoStepUser:
    signed_in: SignedIn
    secret: str
    recovery_codes: list[str]

    @property
    def email(self) -> str:
        return self.signed_in.user["email"]

    @property
    def headers(self) -> dict[str, str]:
        return self.signed_in.headers

    def code(self, at: float, steps: int = 0) -> str:
        """The app's code for the step `steps` away from the one at time `at`."""
        return pyotp.TOTP(self.secret).at(at + steps * STEP)


def turn_on(client, signed_in: SignedIn, steps: int = 0) -> TwoStepUser:
    """Two-step on for `signed_in`, confirmed with the code `steps` away from now's."""
    setup = client.post(
        "/two-step/setup", headers=signed_in.headers, json={"password": TEST_PASSWORD}
    )
    assert setup.status_code == 200, setup.get_json()
    secret = setup.get_json()["secret"]
    code = pyotp.TOTP(secret).at(steady_now() + steps * STEP)
    enabled = client.post("/two-step/enable", headers=signed_in.headers, json={"code": code})
    assert enabled.status_code == 200, enabled.get_json()
    return TwoStepUser(signed_in, secret, enabled.get_json()["recoveryCodes"])


@pytest.fixture
def user(client, auth) -> TwoStepUser:
    """A signed-in user with two-step on, its current step's code spent on turning it on."""
    return turn_on(client, auth)


def password_step(client, email: str, environ=None, device: str | None = None):
    body = {"email": email, "password": TEST_PASSWORD}
    if device is not None:
        body["device"] = device
    return client.post("/signin", json=body, environ_base=environ or {})


def challenge_for(client, email: str, environ=None) -> str:
    answer = password_step(client, email, environ)
    assert answer.status_code == 401, answer.get_json()
    return answer.get_json()["error"]["challenge"]


def code_step(client, challenge: str, code: str, environ=None, **extra):
    body = {"challenge": challenge, "code": code, **extra}
    return client.post("/signin/code", json=body, environ_base=environ or {})


def redis_value(redis, key: str) -> str:
    kind = redis.type(key)
    if kind == "zset":
        return repr(redis.zrange(key, 0, -1, withscores=True))
    if kind == "list":
        return repr(redis.lrange(key, 0, -1))
    readers = {"string": redis.get, "hash": redis.hgetall, "set": redis.smembers}
    return repr(readers[kind](key))


def error_of(response) -> dict:
    return response.get_json()["error"]


# --- users without two-step ------------------------------------------------------------------


def test_a_user_without_two_step_signs_in_as_the_original_contract_says(client, auth):
    assert client.get("/two-step", headers=auth.headers).get_json() == {"enabled": False}
    answer = password_step(client, auth.user["email"])
    assert answer.status_code == 200
    assert list(answer.get_json()) == ["success", "userId", "token", "user"]
    assert answer.get_json()["success"] == "true"


# --- turning it on ---------------------------------------------------------------------------


def test_turning_it_on_takes_the_password_then_a_code_and_shows_ten_recovery_codes(client, auth):
    headers = auth.headers
    wrong = client.post("/two-step/setup", headers=headers, json={"password": "not my password"})
    assert wrong.status_code == 400
    assert error_of(wrong)["code"] == "invalid_credentials"
    assert "password" in error_of(wrong)["fields"]

    setup = client.post("/two-step/setup", headers=headers, json={"password": TEST_PASSWORD})
    assert setup.status_code == 200
    secret, uri = setup.get_json()["secret"], setup.get_json()["uri"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert pyotp.parse_uri(uri).secret == secret
    assert uri.startswith("otpauth://totp/SmartBrain:") and "issuer=SmartBrain" in uri

    # Until a code confirms it, nothing changes for sign-in.
    assert password_step(client, auth.user["email"]).status_code == 200
    assert client.get("/two-step", headers=headers).get_json() == {"enabled": False}

    now = steady_now()
    wrong_code = pyotp.TOTP(secret).at(now + 5 * STEP)
    refused = client.post("/two-step/enable", headers=headers, json={"code": wrong_code})
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "invalid_code"
    assert error_of(refused)["fields"] == {"code": "This code is not correct."}
    recovery_shaped = client.post("/two-step/enable", headers=headers, json={"code": "abcde-fghjk"})
    assert recovery_shaped.status_code == 400
    assert error_of(recovery_shaped)["code"] == "invalid_input"
    assert "code" in error_of(recovery_shaped)["fields"]

    code = pyotp.TOTP(secret).at(now)
    enabled = client.post("/two-step/enable", headers=headers, json={"code": code})
    assert enabled.status_code == 200
    codes = enabled.get_json()["recoveryCodes"]
    assert enabled.get_json()["enabled"] is True
    assert len(codes) == len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(c) for c in codes), codes
    assert client.get("/two-step", headers=headers).get_json() == {
        "enabled": True,
        "recoveryCodesLeft": 10,
    }

    again = client.post("/two-step/setup", headers=headers, json={"password": TEST_PASSWORD})
    assert (again.status_code, error_of(again)["code"]) == (409, "two_step_on")
    twice = client.post("/two-step/enable", headers=headers, json={"code": code})
    assert (twice.status_code, error_of(twice)["code"]) == (409, "two_step_on")


def test_enabling_without_a_pending_setup_says_to_start_again(client, auth, redis_client):
    nothing = client.post("/two-step/enable", headers=auth.headers, json={"code": "123456"})
    assert (nothing.status_code, error_of(nothing)["code"]) == (409, "setup_expired")
    assert error_of(nothing)["message"] == "Start again: this setup has expired."

    setup = client.post("/two-step/setup", headers=auth.headers, json={"password": TEST_PASSWORD})
    key = f"sb:2fa:{{{auth.user['id']}}}:setup"
    assert 590 <= redis_client.ttl(key) <= 600  # pending for ten minutes
    redis_client.delete(key)  # as its expiry would
    code = pyotp.TOTP(setup.get_json()["secret"]).now()
    late = client.post("/two-step/enable", headers=auth.headers, json={"code": code})
    assert (late.status_code, error_of(late)["code"]) == (409, "setup_expired")


# --- signing in ------------------------------------------------------------------------------


def test_signing_in_takes_the_password_then_a_code_and_a_restore_is_not_asked_again(client, user):
    answer = password_step(client, user.email)
    assert answer.status_code == 401
    error = error_of(answer)
    assert error["code"] == "second_step_required"
    assert error["message"] == SECOND_STEP_MESSAGE
    assert len(error["challenge"]) >= 43 and error["expiresIn"] == LIFETIME_SECONDS
    assert "success" not in answer.get_json()  # the original front end stays on its form

    signed_in = code_step(client, error["challenge"], user.code(steady_now(), steps=1))
    assert signed_in.status_code == 200, signed_in.get_json()
    body = signed_in.get_json()
    assert list(body) == ["success", "userId", "token", "user"]
    assert (body["success"], body["userId"]) == ("true", user.signed_in.user["id"])
    headers = {"Authorization": body["token"]}
    assert client.get(f"/profile/{body['userId']}", headers=headers).status_code == 200

    restored = client.post("/signin", headers=headers, json={})
    assert restored.status_code == 200
    assert restored.get_json() == {"id": body["userId"]}

    used = code_step(client, error["challenge"], user.code(time.time(), steps=1))
    assert (used.status_code, error_of(used)["code"]) == (401, "challenge_expired")


def test_a_code_is_accepted_once_and_only_near_its_own_time(client, auth):
    """The window: the previous, the current and the next step; a step used once is spent."""
    now = steady_now(margin=6)
    setup = client.post("/two-step/setup", headers=auth.headers, json={"password": TEST_PASSWORD})
    app = pyotp.TOTP(setup.get_json()["secret"])
    email = auth.user["email"]

    for steps in (-2, 2):  # two steps away: refused
        far = client.post(
            "/two-step/enable", headers=auth.headers, json={"code": app.at(now + steps * STEP)}
        )
        assert error_of(far)["code"] == "invalid_code", steps
    previous = client.post(
        "/two-step/enable", headers=auth.headers, json={"code": app.at(now - STEP)}
    )
    assert previous.status_code == 200  # the previous step's code is accepted

    replayed = code_step(client, challenge_for(client, email), app.at(now - STEP))
    assert error_of(replayed)["code"] == "invalid_code"  # its step is spent
    current = code_step(client, challenge_for(client, email), app.at(now))
    assert current.status_code == 200
    again = code_step(client, challenge_for(client, email), app.at(now))
    assert error_of(again)["code"] == "invalid_code"
    next_step = code_step(client, challenge_for(client, email), app.at(now + STEP))
    assert next_step.status_code == 200  # the next step's code is accepted, once
    assert (
        error_of(code_step(client, challenge_for(client, email), app.at(now + STEP)))["code"]
        == "invalid_code"
    )
    assert (
        error_of(code_step(client, challenge_for(client, email), app.at(now)))["code"]
        == "invalid_code"
    )  # older than the last one used


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, user):
    typed = "  " + user.recovery_codes[3].upper().replace("-", " - ") + " "
    signed_in = code_step(client, challenge_for(client, user.email), typed)
    assert signed_in.status_code == 200, signed_in.get_json()
    assert signed_in.get_json()["recoveryCodesLeft"] == 9
    assert signed_in.get_json()["success"] == "true"

    reused = code_step(client, challenge_for(client, user.email), user.recovery_codes[3])
    assert (reused.status_code, error_of(reused)["code"]) == (400, "invalid_code")
    assert client.get("/two-step", headers=user.headers).get_json() == {
        "enabled": True,
        "recoveryCodesLeft": 9,
    }
    # Look-alikes are read as what they stand for: o as 0, i and l as 1.
    code = user.recovery_codes[4]
    lookalike = code.replace("0", "o").replace("1", "l")
    second = code_step(client, challenge_for(client, user.email), lookalike)
    assert second.get_json()["recoveryCodesLeft"] == 8


@pytest.mark.parametrize(
    ("code", "field_says"),
    [("12345", "6-digit"), ("1234567", "6-digit"), ("abcde-fghj", "recovery"), (123456, "code")],
)
def test_a_code_that_is_neither_kind_is_invalid_input(client, user, code, field_says):
    answer = code_step(client, challenge_for(client, user.email), code)
    assert (answer.status_code, error_of(answer)["code"]) == (400, "invalid_input")
    assert field_says in error_of(answer)["fields"]["code"]


def test_a_challenge_dies_after_five_wrong_codes(client, user):
    challenge = challenge_for(client, user.email, STRANGER)
    wrong = user.code(steady_now(), steps=5)
    for _ in range(5):
        answer = code_step(client, challenge, wrong, STRANGER)
        assert (answer.status_code, error_of(answer)["code"]) == (400, "invalid_code")
    right = code_step(client, challenge, user.code(time.time(), steps=1), STRANGER)
    assert (right.status_code, error_of(right)["code"]) == (401, "challenge_expired")
    assert error_of(right)["message"] == "This sign-in has expired. Please sign in again."


def test_wrong_codes_count_against_the_accounts_failure_limit_with_wrong_passwords(client, user):
    """10 failures in 15 minutes an account (the default): 4 passwords and 6 codes make 10."""
    for _ in range(4):
        body = {"email": user.email, "password": "wrong password"}
        assert client.post("/signin", json=body, environ_base=STRANGER).status_code == 400
    wrong = user.code(steady_now(), steps=5)
    first = challenge_for(client, user.email, STRANGER)
    for _ in range(5):
        assert code_step(client, first, wrong, STRANGER).status_code == 400
    second = challenge_for(client, user.email, STRANGER)  # a right password counts nothing
    assert code_step(client, second, wrong, STRANGER).status_code == 400  # the 10th failure

    limited = code_step(client, second, wrong, STRANGER)
    assert (limited.status_code, error_of(limited)["code"]) == (429, "rate_limited")
    assert error_of(limited)["retryAfter"] > 0
    # The right code is refused too while the limit holds (the check never runs), and so is
    # the right password.
    right = code_step(client, second, user.code(time.time(), steps=1), STRANGER)
    assert right.status_code == 429
    assert password_step(client, user.email, STRANGER).status_code == 429


def test_a_challenge_lives_five_minutes_and_is_bound_to_its_device(client, user, redis_client):
    answer = password_step(client, user.email, device="Laptop")
    challenge = error_of(answer)["challenge"]
    key = f"sb:challenge:{{{hash_token(challenge)}}}"
    assert LIFETIME_SECONDS - 5 <= redis_client.ttl(key) <= LIFETIME_SECONDS
    code = user.code(steady_now(), steps=1)
    elsewhere = code_step(client, challenge, code, device="Phone")
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (401, "challenge_expired")
    unknown = code_step(client, challenge + "x", code)
    assert (unknown.status_code, error_of(unknown)["code"]) == (401, "challenge_expired")

    redis_client.delete(key)  # as its expiry would
    expired = code_step(client, challenge, code, device="Laptop")
    assert (expired.status_code, error_of(expired)["code"]) == (401, "challenge_expired")

    fresh = error_of(password_step(client, user.email, device="Laptop"))["challenge"]
    signed_in = code_step(client, fresh, code, device="Laptop")
    assert signed_in.status_code == 200
    sessions = client.get("/sessions", headers={"Authorization": signed_in.get_json()["token"]})
    assert [s["device"] for s in sessions.get_json()["sessions"] if s["current"]] == ["Laptop"]


# --- turning it off, new recovery codes ------------------------------------------------------


def test_new_recovery_codes_need_the_password_and_a_code_and_replace_the_old_set(client, user):
    headers = user.headers
    cases = [
        ({"password": "not my password", "code": user.recovery_codes[0]}, "invalid_credentials"),
        ({"password": TEST_PASSWORD, "code": "000000"}, "invalid_code"),
        ({"password": TEST_PASSWORD}, "invalid_input"),
    ]
    for body, code in cases:
        refused = client.post("/two-step/recovery-codes", headers=headers, json=body)
        assert (refused.status_code, error_of(refused)["code"]) == (400, code), body
    body = {"password": TEST_PASSWORD, "code": user.recovery_codes[0]}
    renewed = client.post("/two-step/recovery-codes", headers=headers, json=body)
    assert renewed.status_code == 200
    new_codes = renewed.get_json()["recoveryCodes"]
    assert len(set(new_codes)) == 10 and not set(new_codes) & set(user.recovery_codes)
    assert client.get("/two-step", headers=headers).get_json()["recoveryCodesLeft"] == 10

    old = code_step(client, challenge_for(client, user.email), user.recovery_codes[1])
    assert error_of(old)["code"] == "invalid_code"
    new = code_step(client, challenge_for(client, user.email), new_codes[0])
    assert new.get_json()["recoveryCodesLeft"] == 9


def test_turning_it_off_needs_the_password_and_a_code(client, user):
    headers = user.headers
    now = steady_now()
    wrong_password = {"password": "not my password", "code": user.code(now, steps=1)}
    refused = client.post("/two-step/disable", headers=headers, json=wrong_password)
    assert error_of(refused)["code"] == "invalid_credentials"
    assert "password" in error_of(refused)["fields"]
    wrong_code = {"password": TEST_PASSWORD, "code": user.code(now, steps=-2)}
    refused = client.post("/two-step/disable", headers=headers, json=wrong_code)
    assert error_of(refused)["code"] == "invalid_code"
    assert client.get("/two-step", headers=headers).get_json()["enabled"] is True

    body = {"password": TEST_PASSWORD, "code": user.code(now, steps=1)}
    off = client.post("/two-step/disable", headers=headers, json=body)
    assert (off.status_code, off.get_json()) == (200, {"enabled": False})
    assert client.get("/two-step", headers=headers).get_json() == {"enabled": False}
    assert password_step(client, user.email).status_code == 200
    again = client.post("/two-step/disable", headers=headers, json=body)
    assert (again.status_code, error_of(again)["code"]) == (409, "two_step_off")
    codes = client.post("/two-step/recovery-codes", headers=headers, json=body)
    assert (codes.status_code, error_of(codes)["code"]) == (409, "two_step_off")


# --- secrets at rest and in logs -------------------------------------------------------------


def test_no_secret_code_or_challenge_is_kept_in_clear_or_logged(
    app, client, auth, redis_client, config, caplog
):
    caplog.set_level("DEBUG")
    setup = client.post("/two-step/setup", headers=auth.headers, json={"password": TEST_PASSWORD})
    secret = setup.get_json()["secret"]
    pending = redis_client.get(f"sb:2fa:{{{auth.user['id']}}}:setup")
    assert pending and secret not in pending

    user = TwoStepUser(auth, secret, [])
    code = user.code(steady_now())
    user.recovery_codes = client.post(
        "/two-step/enable", headers=auth.headers, json={"code": code}
    ).get_json()["recoveryCodes"]
    challenge = challenge_for(client, user.email)
    signed_in = code_step(client, challenge, user.recovery_codes[0])
    assert signed_in.status_code == 200

    with db.engine_of(app).connect() as connection:
        stored_secret = connection.execute(text("SELECT secret FROM two_step")).scalar_one()
        stored_codes = connection.execute(text("SELECT code_hash FROM recovery_codes")).scalars()
        stored = [stored_secret, *stored_codes]
    clear = [secret, code, challenge, *user.recovery_codes]
    clear += [c.replace("-", "") for c in user.recovery_codes]
    everything_in_redis = " ".join(
        f"{key} {redis_value(redis_client, key)}" for key in redis_client.scan_iter(count=1000)
    )
    for value in clear:
        assert all(value not in kept for kept in stored), value
        assert value not in everything_in_redis, value
        assert all(value not in record.getMessage() for record in caplog.records), value

    key_file = config.data_dir / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600  # made once, the owner's only


@pytest.fixture
def shared_secret_key(monkeypatch):
    """The servers' shared SMARTBRAIN_SECRET_KEY (else each would make one in its data dir)."""
    monkeypatch.setenv("SMARTBRAIN_SECRET_KEY", SHARED_SECRET_KEY)


def test_a_code_used_on_one_process_is_refused_on_the_other(shared_secret_key, two_backends):
    first, second = two_backends
    body = {"name": "Dana", "email": "dana@example.com", "password": TEST_PASSWORD}
    token = call(first, "POST", "/register", body)[1]["token"]
    setup = call(first, "POST", "/two-step/setup", {"password": TEST_PASSWORD}, token)[1]
    app = pyotp.TOTP(setup["secret"])
    now = steady_now()
    assert call(second, "POST", "/two-step/enable", {"code": app.at(now)}, token)[0] == 200

    sign_in = {"email": "dana@example.com", "password": TEST_PASSWORD}
    answers = []
    for base in (first, second):
        challenge = call(base, "POST", "/signin", sign_in)[1]["error"]["challenge"]
        code = {"challenge": challenge, "code": app.at(now + STEP)}
        answers.append(call(base, "POST", "/signin/code", code))
    assert answers[0][0] == 200
    assert (answers[1][0], answers[1][1]["error"]["code"]) == (400, "invalid_code")
