"""Ranks come from a Redis sorted set kept in step with the database, and are never wrong:
ties share a rank, and a missing or stale set is rebuilt from the database."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from backend.leaderboard import ENTRIES, LOCK, STATE
from tests.backend.redis_topologies import cluster
from tests.conftest import TEST_PASSWORD, Accounts, app_on, built_app


def expected_ranks(entries: dict[str, int]) -> dict[str, int]:
    """1 + the number of users with more entries: the original server's rule."""
    return {
        who: 1 + sum(other > mine for other in entries.values()) for who, mine in entries.items()
    }


class Players:
    """Registered users, their entries counted through the API."""

    def __init__(self, client, accounts, counts: dict[str, int]) -> None:
        self.client = client
        self.signed_in = {name: accounts.register(name) for name in counts}
        for name, count in counts.items():
            self.count(name, count)

    def count(self, name: str, times: int = 1) -> None:
        for _ in range(times):
            response = self.client.put("/image", json={}, headers=self.signed_in[name].headers)
            assert response.status_code == 200

    def sign_in_again(self) -> None:
        """New sessions for everyone (after a flush took the old ones)."""
        for who in self.signed_in.values():
            body = {"email": who.user["email"], "password": TEST_PASSWORD}
            who.token = self.client.post("/signin", json=body).get_json()["token"]

    def profiles(self, client=None) -> dict[str, dict]:
        client = client or self.client
        return {
            name: client.get(f"/profile/{who.user['id']}", headers=who.headers).get_json()
            for name, who in self.signed_in.items()
        }

    def ranks(self, client=None) -> dict[str, int]:
        return {name: body["rank"] for name, body in self.profiles(client).items()}


COUNTS = {"Ann": 3, "Ben": 5, "Cy": 3, "Dee": 0, "Eve": 5, "Fay": 1}


def test_ties_share_a_rank_and_the_next_rank_skips(client, accounts):
    players = Players(client, accounts, COUNTS)
    assert players.ranks() == {"Ben": 1, "Eve": 1, "Ann": 3, "Cy": 3, "Fay": 5, "Dee": 6}
    assert {body["totalUsers"] for body in players.profiles().values()} == {6}


def test_a_rank_is_exact_as_soon_as_the_count_returns(client, accounts):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    players.count("Dee", 4)
    assert players.ranks()["Dee"] == 3
    players.count("Dee")
    assert players.ranks() == expected_ranks({**COUNTS, "Dee": 5})
    players.count("Dee")
    assert players.ranks()["Dee"] == 1 and players.ranks()["Ben"] == 2


def test_the_set_holds_every_user_with_their_entries(client, accounts, redis_client):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    ids = {name: str(who.user["id"]) for name, who in players.signed_in.items()}
    stored = dict(redis_client.zrange(ENTRIES, 0, -1, withscores=True))
    assert stored == {ids[name]: float(count) for name, count in COUNTS.items()}


def test_after_a_redis_flush_ranks_stay_right_and_the_set_is_rebuilt(
    client, accounts, redis_client
):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    redis_client.flushdb()  # the sessions go too
    players.sign_in_again()
    assert players.ranks() == expected_ranks(COUNTS)
    assert redis_client.hget(STATE, "ready") == "1"
    assert redis_client.zcard(ENTRIES) == len(COUNTS)
    players.count("Fay", 9)
    assert players.ranks() == expected_ranks({**COUNTS, "Fay": 10})


def test_while_another_process_rebuilds_ranks_are_counted_in_sql(client, accounts, redis_client):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    redis_client.hset(STATE, "ready", "0")
    redis_client.set(LOCK, "another process", px=60_000)
    redis_client.zadd(ENTRIES, {str(players.signed_in["Dee"].user["id"]): 99})  # half-built
    assert players.ranks() == expected_ranks(COUNTS)
    players.count("Dee", 4)
    assert players.ranks() == expected_ranks({**COUNTS, "Dee": 4})


def test_a_database_changed_while_no_backend_ran_is_noticed(config, client, accounts):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    # Restored from a backup, say, while every backend was stopped: Dee had 7 entries then.
    engine = create_engine(config.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET entries = 7 WHERE name = 'Dee'"))
        connection.execute(text("UPDATE users SET entries = 0 WHERE name = 'Ben'"))
    engine.dispose()
    with built_app(config) as restarted:
        ranks = players.ranks(restarted.test_client())
    assert ranks == expected_ranks({**COUNTS, "Dee": 7, "Ben": 0})


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    with cluster(tmp_path_factory.mktemp("cluster")) as url:
        yield url


def test_ranks_on_a_redis_cluster(config, cluster_url):
    with app_on(config.database_url, cluster_url) as app:
        client = app.test_client()
        players = Players(client, Accounts(client), COUNTS)
        assert players.ranks() == expected_ranks(COUNTS)
        players.count("Dee", 6)
        assert players.ranks() == expected_ranks({**COUNTS, "Dee": 6})


def test_scripts_forgotten_by_redis_are_loaded_again(client, accounts, redis_client):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    redis_client.script_flush()  # as after a restart without persistence of scripts
    assert players.ranks() == expected_ranks(COUNTS)


def test_a_set_that_lags_the_database_does_not_decide_a_users_rank(client, accounts, redis_client):
    players = Players(client, accounts, COUNTS)
    players.ranks()
    dee = str(players.signed_in["Dee"].user["id"])
    players.count("Dee", 4)
    redis_client.zadd(ENTRIES, {dee: 0})  # an entry whose recording failed, say
    assert players.ranks()["Dee"] == expected_ranks({**COUNTS, "Dee": 4})["Dee"]
