"""Purging cached public reads by surrogate key, from Varnish (xkey), Fastly or Cloudflare.

Every purger has one method, ``purge(keys) -> PurgeResult``. It never raises for a
network or HTTP failure: the result says what each target answered and whether trying
again later could help, so the caller (the outbox handler) retries, at least once per
change, and logs like it does webhook deliveries. Purging is idempotent, so retrying a
whole purge after a partial failure is safe.

All HTTP goes through the guarded outbound client (api/infra/outbound.py), with redirects
off: a purge reaches exactly the host an operator configured, never one a response
names. Purge targets come only from the settings, never from a request, so the guard's
job here is pinning, timeouts and size caps rather than vetting strangers' URLs:

* Varnish nodes are by nature on loopback or the private network (the VCL only accepts
  purges from its `purgers` ACL), so their client allows private addresses.
* Fastly and Cloudflare are public APIs; their client follows
  MARGINALIA_ALLOW_PRIVATE_TARGETS (off in production), so a misconfigured API URL
  cannot turn purges into requests into the internal network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from api.infra.outbound import FetchResult, GuardedClient, OutboundError, OutboundPolicy

__all__ = [
    "CloudflarePurger",
    "CombinedPurger",
    "FastlyPurger",
    "PurgeResult",
    "Purger",
    "TargetOutcome",
    "VarnishPurger",
    "purger_from_settings",
    "valid_keys",
]

USER_AGENT = "Marginalia/0.1 (+cdn purge)"
MAX_KEY_BYTES = 1024  # Fastly's limit for one surrogate key; Cloudflare's for one tag
# Visible ASCII without "," : xkey splits keys on spaces and commas, Cache-Tag on commas.
_KEY = re.compile(r"[\x21-\x2b\x2d-\x7e]+")


class Purger(Protocol):
    def purge(self, keys: list[str]) -> PurgeResult: ...


@dataclass(frozen=True)
class TargetOutcome:
    """What one purge request to one target came to."""

    target: str  # a Varnish node URL, "fastly service <id>", "cloudflare zone <id>"
    ok: bool
    retryable: bool = False  # network trouble, 429 or 5xx: trying later may work
    status: int | None = None  # None when no HTTP answer arrived
    purged: int | None = None  # objects dropped, where the target counts them (Varnish)
    detail: str = ""  # short reason for a failure; never a credential


@dataclass(frozen=True)
class PurgeResult:
    keys: tuple[str, ...]
    outcomes: tuple[TargetOutcome, ...] = ()

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def failures(self) -> tuple[TargetOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.ok)

    @property
    def retryable(self) -> bool:
        """Some target failed in a way that a later attempt could fix."""
        return any(outcome.retryable for outcome in self.failures)

    @property
    def purged(self) -> int | None:
        """Objects dropped, summed over the targets that count them (None: none do)."""
        counts = [o.purged for o in self.outcomes if o.purged is not None]
        return sum(counts) if counts else None

    def describe(self) -> str:
        """One line for a log."""
        done = f"{len(self.keys)} keys on {len(self.outcomes)} requests"
        if self.purged is not None:
            done += f", {self.purged} objects dropped"
        failed = "; ".join(f"{o.target}: {o.detail}" for o in self.failures)
        return f"{done}; failed: {failed}" if failed else done


def valid_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """The keys, each once, in order; ValueError for one no cache could carry."""
    unique = tuple(dict.fromkeys(keys))
    for key in unique:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"surrogate keys are visible ASCII without ',': {key!r}")
        if len(key) > MAX_KEY_BYTES:
            raise ValueError(f"surrogate key longer than {MAX_KEY_BYTES} bytes: {key[:40]!r}…")
    return unique


def _batches(keys: Sequence[str], *, max_count: int, max_bytes: int) -> Iterator[list[str]]:
    """Keys in groups that fit one request: at most `max_count` keys and `max_bytes` of
    space-separated header value."""
    batch: list[str] = []
    size = 0
    for key in keys:
        extra = len(key) + (1 if batch else 0)
        if batch and (len(batch) == max_count or size + extra > max_bytes):
            yield batch
            batch, size, extra = [], 0, len(key)
        batch.append(key)
        size += extra
    if batch:
        yield batch


def _policy(*, allow_private: bool) -> OutboundPolicy:
    return OutboundPolicy(
        allow_private=allow_private,
        max_redirects=0,
        connect_timeout=3.0,
        read_timeout=10.0,
        total_timeout=15.0,
        max_bytes=64 * 1024,
        user_agent=USER_AGENT,
    )


def _send(
    client: GuardedClient,
    target: str,
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None = None,
) -> FetchResult | TargetOutcome:
    """The response, or the failed outcome when none (usable) arrived."""
    try:
        response = client.request(
            method, url, headers=headers, content=content, follow_redirects=False
        )
    except OutboundError as exc:
        # A refused address or a malformed URL is configuration: retrying cannot fix it.
        retryable = exc.reason in {"timeout", "connect", "network", "protocol", "tls", "dns"}
        return TargetOutcome(target, ok=False, retryable=retryable, detail=exc.reason)
    if not 200 <= response.status_code < 300:
        status = response.status_code
        retryable = status == 429 or status >= 500
        return TargetOutcome(
            target, ok=False, retryable=retryable, status=status, detail=f"HTTP {status}"
        )
    return response


class VarnishPurger:
    """`PURGE` with an `xkey-purge` header to every node (deploy/varnish/default.vcl)."""

    # Varnish refuses a request header over http_req_hdr_len (8 KiB by default).
    HEADER_BYTES = 4096

    def __init__(self, urls: Sequence[str]) -> None:
        if not urls:
            raise ValueError("VarnishPurger needs at least one node URL")
        self.urls = tuple(urls)
        self._client = GuardedClient(_policy(allow_private=True))

    def purge(self, keys: list[str]) -> PurgeResult:
        wanted = valid_keys(keys)
        outcomes = []
        for url in self.urls:
            for batch in _batches(wanted, max_count=len(wanted), max_bytes=self.HEADER_BYTES):
                outcomes.append(self._purge_node(url, batch))
        return PurgeResult(wanted, tuple(outcomes))

    def _purge_node(self, url: str, keys: list[str]) -> TargetOutcome:
        answer = _send(self._client, url, "PURGE", url, {"xkey-purge": " ".join(keys)})
        if isinstance(answer, TargetOutcome):
            return answer
        counted = answer.headers.get("xkey-purged", "")
        if not counted.isdigit():
            # A 2xx without the count is not our VCL (another proxy, a wrong port).
            return TargetOutcome(
                url, ok=False, status=answer.status_code, detail="no xkey-purged in the answer"
            )
        return TargetOutcome(url, ok=True, status=answer.status_code, purged=int(counted))

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"VarnishPurger({list(self.urls)!r})"


@dataclass(repr=False)
class FastlyPurger:
    """Fastly's batch purge by surrogate key: `POST /service/{id}/purge` with the keys in a
    `Surrogate-Key` header and the API token in `Fastly-Key` (up to 256 keys a call)."""

    service_id: str
    api_token: str = field(repr=False)
    api_url: str = "https://api.fastly.com"
    allow_private: bool = False

    MAX_KEYS = 256
    HEADER_BYTES = 8192

    def __post_init__(self) -> None:
        self._client = GuardedClient(_policy(allow_private=self.allow_private))
        self._url = f"{self.api_url.rstrip('/')}/service/{quote(self.service_id, safe='')}/purge"
        self._target = f"fastly service {self.service_id}"

    def purge(self, keys: list[str]) -> PurgeResult:
        wanted = valid_keys(keys)
        outcomes = []
        for batch in _batches(wanted, max_count=self.MAX_KEYS, max_bytes=self.HEADER_BYTES):
            headers = {
                "Fastly-Key": self.api_token,
                "Surrogate-Key": " ".join(batch),
                "Accept": "application/json",
            }
            answer = _send(self._client, self._target, "POST", self._url, headers)
            if isinstance(answer, TargetOutcome):
                outcomes.append(answer)
            else:
                outcomes.append(TargetOutcome(self._target, ok=True, status=answer.status_code))
        return PurgeResult(wanted, tuple(outcomes))

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"FastlyPurger(service_id={self.service_id!r}, api_url={self.api_url!r})"


@dataclass(repr=False)
class CloudflarePurger:
    """Cloudflare's purge by cache tag: `POST /zones/{zone}/purge_cache` with
    `{"tags": [...]}` and a Bearer API token (up to 100 tags a call)."""

    zone_id: str
    api_token: str = field(repr=False)
    api_url: str = "https://api.cloudflare.com/client/v4"
    allow_private: bool = False

    MAX_TAGS = 100

    def __post_init__(self) -> None:
        self._client = GuardedClient(_policy(allow_private=self.allow_private))
        self._url = f"{self.api_url.rstrip('/')}/zones/{quote(self.zone_id, safe='')}/purge_cache"
        self._target = f"cloudflare zone {self.zone_id}"

    def purge(self, keys: list[str]) -> PurgeResult:
        wanted = valid_keys(keys)
        outcomes = []
        for batch in _batches(wanted, max_count=self.MAX_TAGS, max_bytes=1 << 20):
            headers = {
                "Authorization": f"Bearer {self.api_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            body = json.dumps({"tags": batch}).encode()
            answer = _send(self._client, self._target, "POST", self._url, headers, body)
            outcomes.append(answer if isinstance(answer, TargetOutcome) else self._read(answer))
        return PurgeResult(wanted, tuple(outcomes))

    def _read(self, answer: FetchResult) -> TargetOutcome:
        # Cloudflare's envelope: a 200 can still say {"success": false, "errors": [...]}.
        try:
            success = json.loads(answer.content).get("success") is True
        except (ValueError, AttributeError):
            success = False
        if not success:
            return TargetOutcome(
                self._target, ok=False, status=answer.status_code, detail="success is not true"
            )
        return TargetOutcome(self._target, ok=True, status=answer.status_code)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"CloudflarePurger(zone_id={self.zone_id!r}, api_url={self.api_url!r})"


class CombinedPurger:
    """Every configured purger, innermost cache first: a CDN in front of Varnish must not
    refill itself from a Varnish that still holds the old copy. A failure does not stop
    the rest; the caller retries the whole purge."""

    def __init__(self, purgers: Sequence[Purger]) -> None:
        self.purgers = tuple(purgers)

    def __bool__(self) -> bool:
        return bool(self.purgers)

    def purge(self, keys: list[str]) -> PurgeResult:
        wanted = valid_keys(keys)
        outcomes: list[TargetOutcome] = []
        if wanted:
            for purger in self.purgers:
                outcomes += purger.purge(list(wanted)).outcomes
        return PurgeResult(wanted, tuple(outcomes))

    def close(self) -> None:
        for purger in self.purgers:
            close = getattr(purger, "close", None)
            if close is not None:
                close()

    def __repr__(self) -> str:
        return f"CombinedPurger({list(self.purgers)!r})"


def purger_from_settings(settings) -> CombinedPurger:
    """The purgers the settings configure (none: an empty, falsy CombinedPurger)."""
    purgers: list[Purger] = []
    if settings.varnish_url:
        purgers.append(VarnishPurger(settings.varnish_url))
    if settings.fastly_service_id:
        purgers.append(
            FastlyPurger(
                settings.fastly_service_id,
                settings.fastly_api_token,
                settings.fastly_api_url,
                allow_private=settings.allow_private_targets,
            )
        )
    if settings.cloudflare_zone_id:
        purgers.append(
            CloudflarePurger(
                settings.cloudflare_zone_id,
                settings.cloudflare_api_token,
                settings.cloudflare_api_url,
                allow_private=settings.allow_private_targets,
            )
        )
    return CombinedPurger(purgers)
