"""Telling another site that one of our posts links it: discover, then ping.

Network only, no database: the caller claims the work before and records the outcome
after, so no transaction is open while a remote server takes its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from xmlrpc.client import Fault

from api.infra.outbound import FetchResult, GuardedClient, OutboundError
from api.linkbacks import xmlrpc
from api.linkbacks.discovery import PINGBACK, WEBMENTION, Endpoint, discover
from api.linkbacks.retries import TRANSIENT_REASONS, is_transient_status

ERROR_CHARS = 500  # what the outcome row keeps of an error


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | no_endpoint | failed
    protocol: str | None = None
    endpoint: str | None = None
    error: str | None = None
    transient: bool = False  # a failure worth retrying


def send_linkback(client: GuardedClient, source_url: str, target_url: str) -> Outcome:
    """Discover `target_url`'s endpoint and ping it that `source_url` links it."""
    try:
        page = client.get(target_url, truncate=True)
    except OutboundError as exc:
        return _refused("fetching the target", exc)
    if page.status_code >= 400:
        return _http_failure("the target", page)
    endpoint = discover(
        page.url, page.headers.multi_items(), page.text, page.headers.get("content-type")
    )
    if endpoint is None:
        return Outcome("no_endpoint")
    if endpoint.protocol == WEBMENTION:
        return _send_webmention(client, endpoint, source_url, target_url)
    return _send_pingback(client, endpoint, source_url, target_url)


def _send_webmention(
    client: GuardedClient, endpoint: Endpoint, source_url: str, target_url: str
) -> Outcome:
    try:
        answer = client.post(
            endpoint.url,
            content=urlencode({"source": source_url, "target": target_url}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            truncate=True,
        )
    except OutboundError as exc:
        return _refused("sending the webmention", exc, endpoint)
    if 200 <= answer.status_code < 300:
        return Outcome("sent", WEBMENTION, endpoint.url)
    return _http_failure("the webmention endpoint", answer, endpoint)


def _send_pingback(
    client: GuardedClient, endpoint: Endpoint, source_url: str, target_url: str
) -> Outcome:
    try:
        answer = client.post(
            endpoint.url,
            content=xmlrpc.call_body("pingback.ping", source_url, target_url),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
    except OutboundError as exc:
        return _refused("sending the pingback", exc, endpoint)
    if answer.status_code != 200:
        return _http_failure("the pingback server", answer, endpoint)
    try:
        xmlrpc.parse_response(answer.content)
    except Fault as fault:
        if fault.faultCode == xmlrpc.ALREADY_REGISTERED:
            return Outcome("sent", PINGBACK, endpoint.url)
        return Outcome(
            "failed",
            PINGBACK,
            endpoint.url,
            _clip(f"fault {fault.faultCode}: {fault.faultString}"),
            transient=fault.faultCode == xmlrpc.UPSTREAM_ERROR,
        )
    except xmlrpc.XmlRpcError as exc:
        return Outcome("failed", PINGBACK, endpoint.url, _clip(f"unreadable answer: {exc}"))
    return Outcome("sent", PINGBACK, endpoint.url)


def _refused(step: str, exc: OutboundError, endpoint: Endpoint | None = None) -> Outcome:
    return Outcome(
        "failed",
        endpoint.protocol if endpoint else None,
        endpoint.url if endpoint else None,
        _clip(f"{step}: {exc.reason}: {exc.message}"),
        transient=exc.reason in TRANSIENT_REASONS,
    )


def _http_failure(who: str, answer: FetchResult, endpoint: Endpoint | None = None) -> Outcome:
    detail = " ".join(answer.text[:200].split())
    return Outcome(
        "failed",
        endpoint.protocol if endpoint else None,
        endpoint.url if endpoint else None,
        _clip(f"{who} answered HTTP {answer.status_code}" + (f": {detail}" if detail else "")),
        transient=is_transient_status(answer.status_code),
    )


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "\u2026"
