"""Download a resource's file for rating: size-limited, time-limited, and never from a
private or loopback address unless the operator allows it (a resource URL is user input,
and the worker must not become a way to reach internal services).

A rating batch fetches many files at once (``HostGate``): at most
``ckanext.tdpf.schema.rating.host_concurrency`` requests to one host at a time, optionally
spaced by ``host_interval_ms``; the first request to a host goes alone, and a host that is
down (refused, unresolvable, connect timeout, 5xx) is not tried again in the batch. A
download can be conditional (``If-None-Match`` / ``If-Modified-Since`` from the validators
stored with the last rating): a 304 comes back as ``Fetched(content=None)``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import threading
import time
import urllib.parse

import requests

import ckan.plugins.toolkit as tk
from ckan.lib import uploader


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
            wait = 0.0
            if self.interval:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, 0.0))
                self._next_start[host] = start + self.interval
                wait = start - now
        if wait > 0:
            time.sleep(wait)

    def release(self, host: str, error: FetchError | None = None) -> None:
        with self._lock:
            self._active[host] -= 1
            if error is not None and error.host_down:
                self._down.setdefault(host, error.code)
            else:
                self._proven.add(host)
            self._lock.notify_all()


def _check_address(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("unreachable")
    if tk.config["ckanext.tdpf.schema.rating.allow_private_addresses"]:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise FetchError("unreachable", host_down=True) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError("forbidden_address")


def fetch(resource: dict) -> bytes:
    """The file's bytes (unconditionally)."""
    content = fetch_conditional(resource).content
    assert content is not None
    return content


def fetch_conditional(resource: dict, etag: str | None = None,
                      last_modified: str | None = None,
                      session: requests.Session | None = None) -> Fetched:
    limit = tk.config["ckanext.tdpf.schema.rating.max_bytes"]
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(dict(resource)).get_path(resource["id"])
        if not os.path.exists(path):
            raise FetchError("unreachable")
        if os.path.getsize(path) > limit:
            raise FetchError("too_large")
        with open(path, "rb") as stream:
            return Fetched(stream.read())
    return _download(resource.get("url") or "", limit, etag, last_modified,
                     session or requests.Session())


def _download(url: str, limit: int, etag: str | None, last_modified: str | None,
              session: requests.Session) -> Fetched:
    timeout = tk.config["ckanext.tdpf.schema.rating.timeout"]
    headers = {"User-Agent": tk.config["ckanext.tdpf.schema.rating.user_agent"]}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    for _ in range(5):  # follow redirects ourselves, checking every address
        _check_address(url)
        response = _get(session, url, headers, timeout)
        with response:
            if response.is_redirect and response.headers.get("Location"):
                url = urllib.parse.urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 304:
                return Fetched(None, response.headers.get("ETag") or etag,
                               response.headers.get("Last-Modified") or last_modified)
            if response.status_code >= 400:
                raise FetchError("unreachable", host_down=response.status_code >= 500)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError("too_large")
            content = bytearray()
            try:
                for chunk in response.iter_content(65536):
                    content += chunk
                    if len(content) > limit:
                        raise FetchError("too_large")
                    if time.monotonic() > deadline:  # a trickle stays under the read timeout
                        raise FetchError("timeout")
            except requests.Timeout:
                raise FetchError("timeout") from None
            except requests.RequestException:
                raise FetchError("unreachable") from None
            return Fetched(bytes(content), response.headers.get("ETag"),
                           response.headers.get("Last-Modified"))
    raise FetchError("unreachable")


def _get(session: requests.Session, url: str, headers: dict[str, str],
         timeout: int) -> requests.Response:
    """A GET; one that fails to connect is tried once more (a kept-alive connection the
    server has closed in the meantime fails like that)."""
    for attempt in (1, 2):
        try:
            return session.get(url, stream=True, timeout=(min(timeout, 10), timeout),
                               headers=headers, allow_redirects=False)
        except requests.ConnectTimeout:
            raise FetchError("timeout", host_down=True) from None
        except requests.Timeout:
            raise FetchError("timeout") from None
        except requests.ConnectionError:
            if attempt == 2:
                raise FetchError("unreachable", host_down=True) from None
        except requests.RequestException:
            raise FetchError("unreachable") from None
    raise FetchError("unreachable")
