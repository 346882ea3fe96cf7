"""Who is asking: the client address, honouring only the configured proxy hops."""

import ipaddress

from flask import current_app, request


def client_ip() -> str:
    """The client address from the socket, or from X-Forwarded-For when proxies are trusted.

    Only the last `trusted_proxies` hops were added by our own proxies; anything left
    of them was written by the client and cannot be believed.
    """
    hops = current_app.config["MARGINALIA"].trusted_proxies
    if hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


def network_of(address: str) -> str:
    """What per-client limits count by: an IPv4 address, or an IPv6 address's /64.

    One IPv6 subscriber is given a whole /64 (RFC 6177), so counting single IPv6
    addresses would give one client 2^64 quotas. IPv4-mapped IPv6 counts as its IPv4.
    """
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def client_network() -> str:
    """The client's address as per-client limits count it (see network_of)."""
    return network_of(client_ip())
