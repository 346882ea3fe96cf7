"""Who is asking: the client address, honouring only the configured proxy hops."""

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
