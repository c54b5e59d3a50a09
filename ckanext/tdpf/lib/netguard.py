"""The one guard for fetching a URL a user gave (a resource's link): http(s) only, and no
private, loopback, link-local or otherwise non-global address unless the operator allows it,
so that the site cannot be made to reach its own internal services. Every address the host
name resolves to is checked; each redirect's target is checked again by the caller."""
from __future__ import annotations

import ipaddress
import socket
import urllib.parse

UNREACHABLE = "unreachable"  # no http(s) URL with a host name
UNRESOLVED = "unresolved"  # the host name does not resolve
FORBIDDEN = "forbidden_address"


def refusal(url: str, allow_private: bool) -> str | None:
    """Why ``url`` must not be fetched, or None."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UNREACHABLE
    if allow_private:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return UNRESOLVED
    if any(not ipaddress.ip_address(info[4][0].split("%")[0]).is_global for info in infos):
        return FORBIDDEN
    return None
