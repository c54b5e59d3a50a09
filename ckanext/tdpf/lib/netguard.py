"""The one guard for fetching a URL a user gave (a resource's link): http(s) only, and no
private, loopback, link-local or otherwise non-global address unless the operator allows it,
so that the site cannot be made to reach its own internal services.

Two checks: ``refusal`` before a request (every address the host name resolves to; each
redirect's target is checked again by the caller), and the guarded connections
(``guard``, ``GuardedAdapter``) when one is made: the address a socket has connected to is
checked before anything is sent on it. The second closes the gap between the two look-ups
of a name (DNS rebinding: a name that resolves to a public address when checked and to an
internal one when connected). Connections are made directly, never through a proxy.
"""
from __future__ import annotations

import ipaddress
import socket
import urllib.parse

import requests.adapters
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

UNREACHABLE = "unreachable"  # no http(s) URL with a host name
UNRESOLVED = "unresolved"  # the host name does not resolve
FORBIDDEN = "forbidden_address"


class ForbiddenAddress(Exception):
    """A connection reached an address the guard refuses; nothing was sent on it. (Not an
    ``OSError``: urllib3 and requests let it through instead of retrying it as a network
    failure.)"""


# IPv6 prefixes that carry an IPv4 address in their last 32 bits, which a NAT64 gateway
# (the well-known prefix) or a host's IPv4-compatible route reaches: the address counts as
# its IPv4 address (Python calls 64:ff9b::7f00:1, the loopback through NAT64, global)
EMBEDDING_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def _is_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in network for network in EMBEDDING_IPV4):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return False
    return ip.is_global


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
    if any(not _is_global(info[4][0]) for info in infos):
        return FORBIDDEN
    return None


class _Guarded:
    """urllib3 connections whose socket is refused when it reached a non-global address."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            address = sock.getpeername()[0]
        except OSError:  # reset before it could be asked
            sock.close()
            raise
        if not _is_global(address):
            sock.close()
            raise ForbiddenAddress(address)
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def guard(manager: urllib3.PoolManager, allow_private: bool) -> urllib3.PoolManager:
    """``manager``, whose connections refuse a non-global address unless ``allow_private``
    (``ForbiddenAddress``); returns it."""
    if not allow_private:
        manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool,
                                          "https": _GuardedHTTPSPool}
    return manager


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose direct connections refuse a non-global address."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        guard(self.poolmanager, allow_private=False)
