"""Several Redis scripts in one round trip, whatever slots their keys live in.

A pipeline (not a transaction: the keys need not share a slot) of `EVALSHA`s. A server that
does not know a script yet (it restarted, or was flushed) answers NOSCRIPT; the calls are
then made one by one through redis-py's Script objects, which load them. redis-py refuses
scripts in a cluster's pipelines, so on a cluster the calls go one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError


@dataclass(frozen=True)
class ScriptCall:
    script: Script
    keys: list[str]
    args: list[Any]


def run_together(redis: Any, calls: list[ScriptCall]) -> list[Any]:
    """The calls' answers, in order; one round trip when the server knows every script."""
    if len(calls) == 1 or isinstance(redis, RedisCluster):
        return [_run(call) for call in calls]
    with redis.pipeline(transaction=False) as pipe:
        for call in calls:
            pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
        answers = pipe.execute(raise_on_error=False)
    if any(isinstance(answer, NoScriptError) for answer in answers):
        return [_run(call) for call in calls]
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


def _run(call: ScriptCall) -> Any:
    return call.script(keys=call.keys, args=call.args)
