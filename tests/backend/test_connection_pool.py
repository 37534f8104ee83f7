"""A worker's database pool holds its connections across bursts of concurrent requests: a
burst as large as the request threads usually run opens its connections once, not per use."""

from __future__ import annotations

import threading

from sqlalchemy import event, text

from backend.extensions import POOL_SIZE, make_engine
from backend.migrate import upgrade


def test_connections_opened_for_a_burst_are_kept_for_the_next(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    burst = threading.Barrier(POOL_SIZE)

    def request() -> None:
        with engine.connect() as connection:
            burst.wait(10)  # all of them hold a connection at once
            connection.execute(text("SELECT 1"))

    try:
        for _ in range(3):
            threads = [threading.Thread(target=request) for _ in range(POOL_SIZE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(15)
        assert len(opened) == POOL_SIZE
    finally:
        engine.dispose()
