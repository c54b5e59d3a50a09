"""HTTP for harvesting: timeouts, retries with exponential backoff, a politeness delay,
and responses checked before anyone parses them (empty bodies, wrong encodings, bad JSON)."""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import msgspec
import requests

import ckan.plugins.toolkit as tk

from ckanext.tdpf.lib import encoding

log = logging.getLogger(__name__)
RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchFailed(Exception):
    """A request that failed for good, after its retries; the message says why."""


class Client:
    def __init__(self, config: dict[str, Any]):
        self.timeout = float(config["timeout"])
        self.retries = int(config["retries"])
        self.backoff = float(config["backoff"])
        self.delay = float(config["delay"])
        self.session = requests.Session()
        self.session.headers["User-Agent"] = tk.config["ckanext.tdpf.harvest.user_agent"]
        self._last = 0.0
        self.requests = 0

    def _wait_politely(self) -> None:
        pause = self.delay - (time.monotonic() - self._last)
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def get(self, url: str, params: dict[str, Any] | None = None) -> bytes:
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self._wait_politely()
            self.requests += 1
            try:
                response = self.session.get(url, params=params,
                                            timeout=(min(self.timeout, 10), self.timeout))
            except requests.Timeout:
                problem = f"timed out after {self.timeout:g} s"
                continue
            except requests.ConnectionError as error:
                problem = f"connection failed ({error.__class__.__name__})"
                continue
            if response.status_code in RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise FetchFailed(f"HTTP {response.status_code} from {response.url}")
            if not response.content.strip():
                problem = "empty response"
                continue
            return response.content
        raise FetchFailed(f"{problem} from {url} ({self.retries + 1} attempts)")

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        content = self.get(url, params)
        try:  # UTF-8, the common case, parsed straight from the bytes
            return msgspec.json.decode(content)
        except ValueError:  # another encoding, a byte order mark, NaN …: the careful path
            pass
        try:
            return json.loads(encoding.decode(content, "utf-8"))
        except (ValueError, encoding.UnknownEncoding) as error:
            raise FetchFailed(f"malformed JSON from {url}: {error}") from None
