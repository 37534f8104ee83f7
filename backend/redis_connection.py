"""One place that turns SMARTBRAIN_REDIS_URL into a redis-py client."""

from __future__ import annotations

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# Fail fast when Redis is away, so the API answers 503 promptly instead of hanging.
_CONNECTION_OPTIONS = {
    "socket_connect_timeout": 2.0,
    "socket_timeout": 5.0,
    "health_check_interval": 30,
    "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
}


def redis_from_url(url: str) -> Redis:
    """A client for redis://, rediss:// or unix:// URLs, with timeouts and a short retry."""
    return Redis.from_url(url, decode_responses=True, **_CONNECTION_OPTIONS)
