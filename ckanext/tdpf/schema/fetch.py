"""Download a resource's file for rating: size-limited, time-limited, and never from a
private or loopback address unless the operator allows it (a resource URL is user input,
and the worker must not become a way to reach internal services).

A rating batch fetches many files at once (``HostGate``): at most
``ckanext.tdpf.schema.rating.host_concurrency`` requests to one host at a time, optionally
spaced by ``host_interval_ms``; the first request to a host goes alone, and a host that is
down (refused, unresolvable, connect timeout, 5xx) is not tried again in the batch. A
download can be conditional (``If-None-Match`` / ``If-Modified-Since`` from the validators
stored with the last rating): a 304 comes back as ``Fetched(content=None)``.

Downloads go through urllib3 directly (``pool()``: one pool of kept-alive connections per
batch, shared by its threads): requests' per-request work (environment, netrc and
certificate lookups, hooks, cookies) cost more CPU than a conditional request's answer.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import threading
import time
import urllib.parse
from typing import Any

import urllib3
from urllib3.exceptions import (ConnectTimeoutError, HTTPError, NewConnectionError,
                                ProtocolError, ReadTimeoutError)

import ckan.plugins.toolkit as tk
from ckan.lib import uploader

from ckanext.tdpf.lib import netguard


class FetchError(Exception):
    def __init__(self, code: str, host_down: bool = False):
        super().__init__(code)
        self.code = code
        self.host_down = host_down  # the host, not just this file, failed


@dataclasses.dataclass
class Fetched:
    content: bytes | None  # None: not modified since the validators sent (HTTP 304)
    etag: str | None = None
    last_modified: str | None = None


def host_of(resource: dict) -> str | None:
    if resource.get("url_type") == "upload":
        return None
    return urllib.parse.urlsplit(resource.get("url") or "").hostname


class HostGate:
    """Per-host concurrency and politeness for one batch's fetching threads."""

    def __init__(self, concurrency: int | None = None, interval_ms: int | None = None):
        self.concurrency = max(1, concurrency if concurrency is not None else
                               tk.config["ckanext.tdpf.schema.rating.host_concurrency"])
        self.interval = (interval_ms if interval_ms is not None else
                         tk.config["ckanext.tdpf.schema.rating.host_interval_ms"]) / 1000.0
        self._lock = threading.Condition()
        self._active: dict[str, int] = {}
        self._proven: set[str] = set()      # answered once: open to ``concurrency``
        self._down: dict[str, str] = {}     # host → error code
        self._next_start: dict[str, float] = {}
        self._turn = 0  # the host ``take`` looks at first

    def acquire(self, host: str) -> None:
        """Wait for a slot; raises the host's ``FetchError`` if it is down."""
        with self._lock:
            while True:
                if host in self._down:
                    raise FetchError(self._down[host], host_down=True)
                limit = self.concurrency if host in self._proven else 1
                if self._active.get(host, 0) < limit:
                    break
                self._lock.wait()
            self._active[host] = self._active.get(host, 0) + 1
            wait = self._spacing(host)
        if wait > 0:
            time.sleep(wait)

    def take(self, pending: dict[str | None, collections.deque]) -> tuple[Any, bool]:
        """The next item of a host that has a free slot, from ``pending`` (host → items, in
        the order to start them), with that slot taken (then ``release`` it): a thread is
        never left waiting for a busy host while another host has work. Returns the item
        and whether a slot was taken: items without a host (uploads) and of a host that is
        down take none (for the latter, ``acquire`` raises the host's error). Waits while
        every host with items left is busy; raises ``LookupError`` when none are left."""
        with self._lock:
            while True:
                chosen = self._choose(pending)
                if chosen is not None:
                    break
                if not any(pending.values()):
                    raise LookupError("no items left")
                self._lock.wait()
        item, taken, wait = chosen
        if wait > 0:
            time.sleep(wait)
        return item, taken

    def _choose(self, pending: dict[str | None, collections.deque]
                ) -> tuple[Any, bool, float] | None:
        """Round robin over the hosts (each host's slow downloads start early, not when
        the hosts before it have run out of files)."""
        hosts = list(pending)
        for turn in range(len(hosts)):
            position = (self._turn + turn) % len(hosts)
            host = hosts[position]
            items = pending[host]
            if not items:
                continue
            if host is None or host in self._down:
                self._turn = position + 1
                return items.popleft(), False, 0.0
            limit = self.concurrency if host in self._proven else 1
            if self._active.get(host, 0) < limit:
                self._active[host] = self._active.get(host, 0) + 1
                self._turn = position + 1
                return items.popleft(), True, self._spacing(host)
        return None

    def _spacing(self, host: str) -> float:
        """Seconds to wait before starting a download from ``host`` (``interval_ms``);
        called with the lock held."""
        if not self.interval:
            return 0.0
        now = time.monotonic()
        start = max(now, self._next_start.get(host, 0.0))
        self._next_start[host] = start + self.interval
        return start - now

    def release(self, host: str, error: FetchError | None = None) -> None:
        with self._lock:
            self._active[host] -= 1
            if error is not None and error.host_down:
                self._down.setdefault(host, error.code)
            else:
                self._proven.add(host)
            self._lock.notify_all()


def _check_address(url: str) -> None:
    refused = netguard.refusal(
        url, tk.config["ckanext.tdpf.schema.rating.allow_private_addresses"])
    if refused == netguard.FORBIDDEN:
        raise FetchError("forbidden_address")
    if refused == netguard.UNRESOLVED:
        raise FetchError("unreachable", host_down=True)
    if refused:
        raise FetchError("unreachable")


def pool(connections_per_host: int = 4) -> urllib3.PoolManager:
    """Connections for one batch's downloads (thread-safe; kept alive between requests to
    the same host)."""
    return netguard.guard(
        urllib3.PoolManager(num_pools=256, maxsize=max(1, connections_per_host),
                            block=False, retries=False),
        tk.config["ckanext.tdpf.schema.rating.allow_private_addresses"])


def fetch(resource: dict) -> bytes:
    """The file's bytes (unconditionally)."""
    content = fetch_conditional(resource).content
    assert content is not None
    return content


def fetch_conditional(resource: dict, etag: str | None = None,
                      last_modified: str | None = None,
                      connections: urllib3.PoolManager | None = None) -> Fetched:
    limit = tk.config["ckanext.tdpf.schema.rating.max_bytes"]
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(dict(resource)).get_path(resource["id"])
        if not os.path.exists(path):
            raise FetchError("unreachable")
        if os.path.getsize(path) > limit:
            raise FetchError("too_large")
        with open(path, "rb") as stream:
            return Fetched(stream.read())
    if connections is None:
        connections = pool(1)
        try:
            return _download(resource.get("url") or "", limit, etag, last_modified,
                             connections)
        finally:
            connections.clear()
    return _download(resource.get("url") or "", limit, etag, last_modified, connections)


ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]


def _download(url: str, limit: int, etag: str | None, last_modified: str | None,
              connections: urllib3.PoolManager) -> Fetched:
    timeout = tk.config["ckanext.tdpf.schema.rating.timeout"]
    headers = {"User-Agent": tk.config["ckanext.tdpf.schema.rating.user_agent"],
               "Accept-Encoding": ACCEPT_ENCODING, "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    for _ in range(5):  # follow redirects ourselves, checking every address
        _check_address(url)
        response = _get(connections, url, headers, timeout)
        reusable = False
        try:
            if response.get_redirect_location():
                url = urllib.parse.urljoin(url, response.headers["Location"])
                continue
            if response.status == 304:
                reusable = True
                return Fetched(None, response.headers.get("ETag") or etag,
                               response.headers.get("Last-Modified") or last_modified)
            if response.status >= 400:
                raise FetchError("unreachable", host_down=response.status >= 500)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError("too_large")
            content = bytearray()
            try:
                for chunk in response.stream(65536, decode_content=True):
                    content += chunk
                    if len(content) > limit:
                        raise FetchError("too_large")
                    if time.monotonic() > deadline:  # a trickle stays under the read timeout
                        raise FetchError("timeout")
            except ReadTimeoutError:
                raise FetchError("timeout") from None
            except HTTPError:
                raise FetchError("unreachable") from None
            reusable = True
            return Fetched(bytes(content), response.headers.get("ETag"),
                           response.headers.get("Last-Modified"))
        finally:
            _release(response, reusable)
    raise FetchError("unreachable")


def _release(response: urllib3.BaseHTTPResponse, reusable: bool) -> None:
    """Back to the pool: kept alive when the answer was read to its end (a 304 has no
    body), closed otherwise (a body left unread would be read as the next answer)."""
    try:
        if reusable:
            response.drain_conn()
        else:
            response.close()
    except Exception:  # noqa: BLE001 - a connection that fails here is not reused
        response.close()
    response.release_conn()


def _get(connections: urllib3.PoolManager, url: str, headers: dict[str, str],
         timeout: int) -> urllib3.BaseHTTPResponse:
    """A GET; one that fails to connect is tried once more (a kept-alive connection the
    server has closed in the meantime fails like that)."""
    for attempt in (1, 2):
        try:
            return connections.request(
                "GET", url, headers=headers, preload_content=False, redirect=False,
                retries=False, timeout=urllib3.Timeout(connect=min(timeout, 10),
                                                       read=timeout))
        except netguard.ForbiddenAddress:  # a name that now resolves to an internal one
            raise FetchError("forbidden_address") from None
        except (NewConnectionError, ProtocolError):  # (before its base ConnectTimeoutError)
            if attempt == 2:
                raise FetchError("unreachable", host_down=True) from None
        except ConnectTimeoutError:
            raise FetchError("timeout", host_down=True) from None
        except ReadTimeoutError:
            raise FetchError("timeout") from None
        except (HTTPError, ValueError):  # a malformed address, an unknown scheme
            raise FetchError("unreachable") from None
    raise FetchError("unreachable")
