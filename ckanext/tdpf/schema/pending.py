"""Harvested datasets waiting for their data rate, and the batches drain jobs take.

The ids wait in a Redis set. A drain job takes a batch and claims it (a sorted set of the
ids scored by the claim's time), rates it and lets the claim go. A worker killed in the
middle of a batch (a host lost, an OOM kill, ``SIGKILL`` at a deployment) leaves its claim
behind: once the claim is older than ``ckanext.tdpf.schema.rating.claim_seconds`` the ids go
back to the waiting set, when the next batch is taken or when cron runs
``ckan tdpf-schema rating-recover``. Taking a batch and returning stale claims is one Lua
script, so two workers never take the same ids.
"""
from __future__ import annotations

import time
from typing import Iterable

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

# KEYS: waiting set, claimed sorted set; ARGV: now, oldest live claim time, batch size.
_TAKE = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
for _, id in ipairs(stale) do
  redis.call('SADD', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
local size = tonumber(ARGV[3])
if size == 0 then return {} end
local ids = redis.call('SPOP', KEYS[1], size)
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], ARGV[1], id)
end
return ids
"""


def _key(name: str) -> str:
    return f"{tk.config.get('ckan.site_id') or 'default'}:tdpf_schema:rating:{name}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def add(package_ids: Iterable[str]) -> None:
    ids = list(package_ids)
    if ids:
        connect_to_redis().sadd(_key("pending"), *ids)


def take(size: int, now: float | None = None) -> list[str]:
    """Claim up to ``size`` waiting ids (stale claims first go back to waiting)."""
    now = time.time() if now is None else now
    oldest = now - tk.config["ckanext.tdpf.schema.rating.claim_seconds"]
    redis = connect_to_redis()
    ids = redis.eval(_TAKE, 2, _key("pending"), _key("claimed"), now, oldest, size)
    return [_text(value) for value in ids or []]


def release(package_ids: Iterable[str]) -> None:
    """The batch is rated (or failed in a way that will not change by retrying)."""
    ids = list(package_ids)
    if ids:
        connect_to_redis().zrem(_key("claimed"), *ids)


def recover(now: float | None = None) -> int:
    """Stale claims back to waiting; how many ids are waiting now."""
    take(0, now)
    return waiting_count()


def waiting_count() -> int:
    return int(connect_to_redis().scard(_key("pending")))


def waiting_ids() -> set[str]:
    return {_text(value) for value in connect_to_redis().smembers(_key("pending"))}


def claimed_ids() -> set[str]:
    return {_text(value) for value in connect_to_redis().zrange(_key("claimed"), 0, -1)}


def is_waiting_or_claimed(package_id: str) -> bool:
    redis = connect_to_redis()
    return bool(redis.sismember(_key("pending"), package_id)) or \
        redis.zscore(_key("claimed"), package_id) is not None
