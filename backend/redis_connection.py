"""One place that turns SMARTBRAIN_REDIS_URL into a redis-py client.

The URL forms are those of the `limits` library (our request limits), so one URL can serve
both the sessions and a rate limiter:
- `redis://[:password@]host:port/db`, `rediss://...` (TLS), `unix:///path/to.sock?db=0`;
- `redis+sentinel://[:password@]host:port[,host:port...]/master-name`;
- `redis+cluster://[:password@]host:port[,host:port...]`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel


def _options() -> dict[str, Any]:
    """Fail fast when Redis is away, so the API answers 503 promptly instead of hanging."""
    return {
        "decode_responses": True,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
    }


def _hosts(netloc: str) -> list[tuple[str, int]]:
    hosts = []
    for part in netloc.rpartition("@")[2].split(","):
        host, _, port = part.rpartition(":")
        hosts.append((host.strip("[]") or "127.0.0.1", int(port or 6379)))
    return hosts


def _credentials(netloc: str) -> dict[str, Any]:
    userinfo = netloc.rpartition("@")[0]
    if not userinfo:
        return {}
    username, _, password = userinfo.partition(":")
    found: dict[str, Any] = {"password": unquote(password)} if password else {}
    if username:
        found["username"] = unquote(username)
    return found


def redis_from_url(url: str) -> Any:
    """A client (Redis, or RedisCluster for redis+cluster://) with timeouts and a short retry."""
    parts = urlsplit(url)
    if parts.scheme == "redis+cluster":
        nodes = [ClusterNode(host, port) for host, port in _hosts(parts.netloc)]
        return RedisCluster(startup_nodes=nodes, **_credentials(parts.netloc), **_options())
    if parts.scheme == "redis+sentinel":
        credentials = _credentials(parts.netloc)
        master, _, db = parts.path.strip("/").partition("/")
        if not master:
            raise ValueError("A redis+sentinel:// URL must name the master: .../master-name")
        sentinel = Sentinel(
            _hosts(parts.netloc), sentinel_kwargs={**credentials, "socket_timeout": 2.0}
        )
        return sentinel.master_for(master, db=int(db or 0), **credentials, **_options())
    return Redis.from_url(url, health_check_interval=30, **_options())
