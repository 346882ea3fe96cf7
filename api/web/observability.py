"""Request ids, structured logs and the headers every response carries."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("marginalia.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id when there is a request."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # The cache front (api/cache_front.py) answers outside any request context and
        # passes its request id on the record.
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = g.get("request_id")
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_URL = re.compile(r"(?P<origin>\bhttps?://[^/?#\s\"'<>]+)(?P<rest>[/?#][^\s\"'<>]*)", re.I)


def redact_urls(text: str) -> str:
    """URLs cut to their origin: a webhook's path or query can be its credential
    (Slack, Discord), so no log line carries one."""
    return _URL.sub(lambda match: f"{match['origin']}/…", text)


class UrlRedactingFilter(logging.Filter):
    """On loggers of libraries that log URLs (httpx logs each request's at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            try:
                record.msg = redact_urls(record.msg % args)
            except (TypeError, ValueError):
                record.msg = redact_urls(str(record.msg))
            record.args = None
        else:
            record.msg = redact_urls(str(record.msg))
        return True


# Libraries that would log a URL the guarded client fetches.
URL_LOGGERS = ("httpx", "httpcore", "urllib3", "huey")


def configure_logging(level: str) -> None:
    for name in URL_LOGGERS:
        library = logging.getLogger(name)
        if not any(isinstance(f, UrlRedactingFilter) for f in library.filters):
            library.addFilter(UrlRedactingFilter())
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADER_LIST = (*SECURITY_HEADERS.items(), ("Content-Security-Policy", API_CSP))


def request_id_for(given: str | None) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one."""
    return given if given and _REQUEST_ID.match(given) else secrets.token_hex(16)


def log_access(method: str, path: str, status: int, started: float, **extra) -> None:
    """The access-log line: one per request, from Flask's hook or the cache front."""
    if access_log.isEnabledFor(logging.INFO):
        elapsed = (time.perf_counter() - started) * 1000
        access_log.info(
            "request",
            extra={
                "fields": {
                    "method": method,
                    "path": path,
                    "status": status,
                    "ms": round(elapsed, 2),
                },
                **extra,
            },
        )


def init_app(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        g.request_id = request_id_for(request.headers.get("X-Request-ID"))
        g.started = time.perf_counter()

    @app.after_request
    def tag_response(response):
        response.headers["X-Request-ID"] = g.get("request_id") or secrets.token_hex(16)
        headers = response.headers
        if "X-Content-Type-Options" not in headers:  # one check: they are set together
            headers.extend(SECURITY_HEADER_LIST)
        log_access(
            request.method,
            request.path,
            response.status_code,
            g.get("started") or time.perf_counter(),
        )
        return response
