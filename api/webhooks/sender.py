"""Sending one signed delivery over the guarded client (worker side only).

Each worker thread keeps its own GuardedClient, so connections to an endpoint are kept
alive between deliveries (httpx clients are not shared across threads here, which keeps
one thread's slow endpoint from holding another's pool slots).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from api.infra.outbound import GuardedClient, OutboundError, OutboundPolicy
from api.webhooks.crypto import signature_header
from api.webhooks.retry import Result

EXCERPT_BYTES = 2048
_local = threading.local()


def delivery_policy(allow_private: bool, timeout: float) -> OutboundPolicy:
    return OutboundPolicy(
        allow_private=allow_private,
        max_redirects=0,
        connect_timeout=min(timeout, 5.0),
        read_timeout=timeout,
        total_timeout=timeout,  # the whole attempt, however slowly the receiver drips
        max_bytes=EXCERPT_BYTES,
        user_agent="Marginalia-Webhooks/0.1",
    )


def client_for(policy: OutboundPolicy) -> GuardedClient:
    """This thread's client for `policy` (created on first use, then reused)."""
    clients: dict[OutboundPolicy, GuardedClient] | None = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    client = clients.get(policy)
    if client is None:
        client = clients[policy] = GuardedClient(policy)
    return client


def close_thread_clients() -> None:
    for client in getattr(_local, "clients", {}).values():
        client.close()
    _local.clients = {}


def render_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Sent:
    result: Result
    duration_ms: int
    excerpt: str


def send(client: GuardedClient, url: str, msg_id: str, body: bytes, keys: list[bytes]) -> Sent:
    """POST one delivery; never raises for anything the network or receiver does."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, msg_id, timestamp, body),
    }
    started = time.monotonic()
    try:
        response = client.post(
            url, headers=headers, content=body, follow_redirects=False, truncate=True
        )
    except OutboundError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Sent(Result(None, error=f"{exc.reason}: {exc.message}"[:500]), elapsed, "")
    elapsed = int((time.monotonic() - started) * 1000)
    result = Result(
        response.status_code,
        retry_after=response.headers.get("retry-after"),
        location=response.headers.get("location"),
    )
    # NUL cannot be stored in a PostgreSQL text column; a binary answer must not jam the log.
    excerpt = response.text[:EXCERPT_BYTES].replace("\x00", "\ufffd")
    return Sent(result, elapsed, excerpt)
