"""A local stand-in for Akismet on 127.0.0.1 that answers as the protocol documents.

Paths: ``/1.1/{comment-check,submit-spam,submit-ham,verify-key}``, and the same under
``/<key>/1.1/`` for clients configured with the older key-in-the-URL form (there is no
DNS for ``<key>.rest.akismet.com`` here). Decisions follow Akismet's documented test
values: author ``viagra-test-123`` or email ``akismet-guaranteed-spam@example.com`` is
spam, ``user_role=administrator`` is ham; content holding ``blatant-spam`` is spam
with ``X-akismet-pro-tip: discard``. A wrong key gets ``invalid`` with
``X-akismet-debug-help``, a missing required field an error text. ``delay`` holds every
answer back (a slow service) until the server stops.
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

VALID_KEY = "0123456789ab"


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeAkismet

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {name: values[-1] for name, values in parse_qs(raw).items()}
        self.server.calls.append(Call(self.path, dict(self.headers.items()), form))
        if self.server.delay and self.server.stopping.wait(self.server.delay):
            return
        parts = self.path.strip("/").split("/")
        key_in_path = parts[0] if len(parts) == 3 else None
        call = parts[-1]
        key = key_in_path or form.get("api_key") or form.get("key")
        status, body, headers = self.server.answer(call, key, form)
        self._send(status, body, headers)

    def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
        content = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)


class FakeAkismet(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[Call] = []
        self.delay = 0.0
        self.stopping = threading.Event()
        # Set to (status, body, headers) to answer everything with that.
        self.override: tuple[int, str, dict[str, str]] | None = None
        # A short poll interval: stopping the server is then quick, one per test.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/1.1/"

    def start(self) -> FakeAkismet:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def answer(self, call: str, key: str | None, form: dict[str, str]):
        if self.override:
            return self.override
        if call == "verify-key":
            return 200, "valid" if key == VALID_KEY else "invalid", {}
        if key != VALID_KEY:
            return 200, "invalid", {"X-akismet-debug-help": "We were unable to parse your key."}
        for required in ("blog", "user_ip"):
            if not form.get(required):
                return (
                    200,
                    f"Missing required field: {required}.",
                    {"X-akismet-debug-help": f"Empty '{required}' value"},
                )
        if call in ("submit-spam", "submit-ham"):
            return 200, "Thanks for making the web a better place.", {}
        if call != "comment-check":
            return 404, "Not found", {}
        if form.get("user_role") == "administrator":
            return 200, "false", {}
        if "blatant-spam" in form.get("comment_content", ""):
            return 200, "true", {"X-akismet-pro-tip": "discard"}
        spammy = (
            form.get("comment_author") == "viagra-test-123"
            or form.get("comment_author_email") == "akismet-guaranteed-spam@example.com"
        )
        return 200, "true" if spammy else "false", {}
