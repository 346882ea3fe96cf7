"""The one way this area reaches other sites: api/infra/outbound.py's guarded client.

A module of its own so that every fetch (discovery, sending, verifying sources) gets
the same policy from the settings, and tests have one seam to swap it.
"""

from __future__ import annotations

from flask import current_app

from api.infra.outbound import GuardedClient, OutboundPolicy

USER_AGENT = "Marginalia/0.1 (+pingback; webmention)"


def outbound_policy(*, total_timeout: float | None = None) -> OutboundPolicy:
    settings = current_app.config["MARGINALIA"]
    return OutboundPolicy(
        allow_private=settings.allow_private_targets,
        user_agent=USER_AGENT,
        total_timeout=total_timeout,
    )


def guarded_client(*, total_timeout: float | None = None) -> GuardedClient:
    return GuardedClient(outbound_policy(total_timeout=total_timeout))
