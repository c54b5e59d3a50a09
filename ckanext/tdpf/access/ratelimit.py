"""Rate limits of the API (the API gateway's role), in the app rather than in a proxy.

The limit is per API token for calls that carry a valid one, per user for logged-in browser
calls, and per client address for anonymous calls. A proxy sees a token but cannot tell a
valid one from an invented one, so a caller could escape the anonymous limit by inventing
tokens; CKAN can. The counters live in CKAN's Redis, so every web process and host shares
them. Fixed windows: one INCR and one EXPIRE per call, in one round trip. When Redis cannot
be reached the call is let through (and logged): the limit protects the site, it must not
take it down. Sysadmins are not limited.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from flask import Response, g, request

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.tdpf.lib.i18n import N_, bilingual

log = logging.getLogger(__name__)
PREFIX = "tdpf:ratelimit"


def _limited_path(path: str) -> bool:
    prefixes = tk.config["ckanext.tdpf.access.rate_limit.paths"]
    return any(path.startswith(prefix) for prefix in prefixes)


def client_address() -> str:
    """The caller's address: the connection's, or, when it comes from a trusted proxy, the
    last address in X-Forwarded-For that is not a trusted proxy."""
    trusted = set(tk.config["ckanext.tdpf.access.rate_limit.trusted_proxies"])
    address = request.remote_addr or ""
    if address in trusted:
        for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
            hop = hop.strip()
            if hop and hop not in trusted:
                return hop
    return address


def identity() -> tuple[str, int] | None:
    """(bucket key, limit per window) of this call, or None when it is not limited."""
    user = tk.current_user if tk.current_user.is_authenticated else None
    if user is not None and user.sysadmin:
        return None
    if user is None:
        return "ip:" + client_address(), tk.config["ckanext.tdpf.access.rate_limit.anonymous"]
    limit = tk.config["ckanext.tdpf.access.rate_limit.authenticated"]
    token = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key")
    if token:  # valid, since the caller is authenticated by it
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32], limit
    return "user:" + user.id, limit


def check() -> Any:
    """Flask ``before_request``: count the call, refuse it with 429 past the limit."""
    if not _limited_path(request.path):
        return None
    found = identity()
    if found is None or found[1] <= 0:
        return None
    key, limit = found
    window = tk.config["ckanext.tdpf.access.rate_limit.window"]
    now = time.time()
    bucket = f"{PREFIX}:{key}:{int(now // window)}"
    try:
        pipe = connect_to_redis().pipeline(transaction=False)
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        count = int(pipe.execute()[0])
    except Exception as error:  # noqa: BLE001 - Redis down: let the call through
        log.warning("rate limit not applied (Redis: %s)", error)
        return None
    retry_after = max(1, int(window - now % window + 0.999))
    g.tdpf_rate_limit = (limit, max(0, limit - count), retry_after)
    if count <= limit:
        return None
    message = bilingual(N_("Too many requests: at most {limit} API calls per {window} "
                           "seconds. Try again in {retry} seconds."),
                        limit=limit, window=window, retry=retry_after)
    body = {"help": request.url, "success": False,
            "error": {"__type": "Rate Limit Exceeded", "message": message}}
    return Response(json.dumps(body, ensure_ascii=False), status=429,
                    content_type="application/json;charset=utf-8",
                    headers={"Retry-After": str(retry_after)})


def headers(response: Response) -> Response:
    """Flask ``after_request``: tell API callers where they stand."""
    state = g.get("tdpf_rate_limit")
    if state is not None:
        limit, remaining, reset = state
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(reset)
    return response
