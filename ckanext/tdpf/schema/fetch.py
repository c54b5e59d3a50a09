"""Download a resource's file for rating: size-limited, time-limited, and never from a
private or loopback address unless the operator allows it (a resource URL is user input,
and the worker must not become a way to reach internal services)."""
from __future__ import annotations

import ipaddress
import os
import socket
import urllib.parse

import requests

import ckan.plugins.toolkit as tk
from ckan.lib import uploader


class FetchError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _check_address(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("unreachable")
    if tk.config["ckanext.tdpf.schema.rating.allow_private_addresses"]:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise FetchError("unreachable") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError("forbidden_address")


def fetch(resource: dict) -> bytes:
    limit = tk.config["ckanext.tdpf.schema.rating.max_bytes"]
    if resource.get("url_type") == "upload":
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        if not os.path.exists(path):
            raise FetchError("unreachable")
        if os.path.getsize(path) > limit:
            raise FetchError("too_large")
        with open(path, "rb") as stream:
            return stream.read()
    return _download(resource.get("url") or "", limit)


def _download(url: str, limit: int) -> bytes:
    timeout = tk.config["ckanext.tdpf.schema.rating.timeout"]
    headers = {"User-Agent": tk.config["ckanext.tdpf.schema.rating.user_agent"]}
    for _ in range(5):  # follow redirects ourselves, checking every address
        _check_address(url)
        try:
            response = requests.get(url, stream=True, timeout=(min(timeout, 10), timeout),
                                    headers=headers, allow_redirects=False)
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
            except requests.Timeout:
                raise FetchError("timeout") from None
            except requests.RequestException:
                raise FetchError("unreachable") from None
            return bytes(content)
    raise FetchError("unreachable")
