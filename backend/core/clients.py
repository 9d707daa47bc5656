"""The client address a request counts as (the login throttle's key), behind trusted proxies."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import Request


def client_address(request: Request, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address the login throttle counts: the connection's peer, unless that peer is a
    trusted proxy; then the nearest address in X-Forwarded-For that is not a trusted proxy
    (read from the right: a client can put anything at the left of that header)."""
    peer = request.client.host if request.client else "unknown"
    if not _is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _is_trusted(host: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in trusted)
