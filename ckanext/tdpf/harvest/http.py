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
from ckanext.tdpf.lib.i18n import N_, Message

log = logging.getLogger(__name__)
RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchFailed(Exception):
    """A request that failed for good, after its retries; ``message`` says why, in either
    language."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


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
        problem = Message(N_("no answer"))
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self._wait_politely()
            self.requests += 1
            try:
                response = self.session.get(url, params=params,
                                            timeout=(min(self.timeout, 10), self.timeout))
            except requests.Timeout:
                problem = Message(N_("no answer within {seconds} s"),
                                  seconds=f"{self.timeout:g}")
                continue
            except requests.exceptions.SSLError:
                problem = Message(N_("connection failed (TLS certificate or protocol)"))
                continue
            except requests.ConnectionError:
                problem = Message(N_("connection failed (the server could not be reached)"))
                continue
            if response.status_code in RETRY_STATUS:
                problem = Message(N_("HTTP error {status}"), status=response.status_code)
                continue
            if response.status_code >= 400:
                raise FetchFailed(Message(N_("HTTP error {status} from {url}"),
                                          status=response.status_code, url=response.url))
            if not response.content.strip():
                problem = Message(N_("an empty response"))
                continue
            return response.content
        raise FetchFailed(Message(N_("{problem} from {url} (tried {attempts} times)"),
                                  problem=problem, url=url, attempts=self.retries + 1))

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        content = self.get(url, params)
        try:  # UTF-8, the common case, parsed straight from the bytes
            return msgspec.json.decode(content)
        except ValueError:  # another encoding, a byte order mark, NaN …: the careful path
            pass
        try:
            return json.loads(encoding.decode(content, "utf-8"))
        except (ValueError, encoding.UnknownEncoding) as error:
            raise FetchFailed(Message(N_("malformed JSON from {url}: {error}"), url=url,
                                      error=str(error))) from None
