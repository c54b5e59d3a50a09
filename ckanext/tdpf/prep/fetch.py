"""A resource's bytes for preparing: an upload from the site's storage, a linked file over
HTTP(S) from public addresses only, both within the size limit and (downloads) the time
limit. Addresses are checked by the suite's one guard (``lib.netguard``)."""
from __future__ import annotations

import os
import time
import urllib.parse

import requests

import ckan.plugins.toolkit as tk
from ckan.lib import uploader

from ckanext.tdpf.lib import netguard


class FetchError(Exception):
    """``code``: unreachable, too_large, timeout or forbidden_address."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def fetch(resource: dict) -> bytes:
    limit = tk.config["ckanext.tdpf.prep.max_bytes"]
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(dict(resource)).get_path(resource["id"])
        if not path or not os.path.exists(path):
            raise FetchError("unreachable")
        if os.path.getsize(path) > limit:
            raise FetchError("too_large")
        with open(path, "rb") as stream:
            return stream.read()
    return _download(resource.get("url") or "", limit)


def _check_address(url: str) -> None:
    refused = netguard.refusal(url, tk.config["ckanext.tdpf.prep.allow_private_addresses"])
    if refused == netguard.FORBIDDEN:
        raise FetchError("forbidden_address")
    if refused:
        raise FetchError("unreachable")


def _session() -> requests.Session:
    """A session whose connections are checked as they are made (``lib.netguard``): made
    directly (no proxy from the environment, which the guard could not see past) and
    without the environment's credentials (``.netrc``) for hosts users link to."""
    session = requests.Session()
    session.trust_env = False
    if not tk.config["ckanext.tdpf.prep.allow_private_addresses"]:
        for prefix in ("http://", "https://"):
            session.mount(prefix, netguard.GuardedAdapter())
    return session


def _download(url: str, limit: int) -> bytes:
    timeout = tk.config["ckanext.tdpf.prep.timeout"]
    headers = {"User-Agent": tk.config["ckanext.tdpf.prep.user_agent"]}
    deadline = time.monotonic() + timeout
    session = _session()
    for _ in range(5):  # redirects followed here, each address checked
        _check_address(url)
        try:
            response = session.get(url, stream=True, timeout=(min(timeout, 10), timeout),
                                   headers=headers, allow_redirects=False)
        except netguard.ForbiddenAddress:  # a name that now resolves to an internal one
            raise FetchError("forbidden_address") from None
        except requests.Timeout:
            raise FetchError("timeout") from None
        except requests.RequestException:
            raise FetchError("unreachable") from None
        with response:
            if response.is_redirect and response.headers.get("Location"):
                url = urllib.parse.urljoin(url, response.headers["Location"])
                continue
            if response.status_code >= 400:
                raise FetchError("unreachable")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError("too_large")
            content = bytearray()
            try:
                for chunk in response.iter_content(65536):
                    content += chunk
                    if len(content) > limit:
                        raise FetchError("too_large")
                    if time.monotonic() > deadline:
                        raise FetchError("timeout")
            except requests.Timeout:
                raise FetchError("timeout") from None
            except requests.RequestException:
                raise FetchError("unreachable") from None
            return bytes(content)
    raise FetchError("unreachable")
