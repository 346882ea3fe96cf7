"""The framework ceiling: a bare Flask app returning precomputed JSON bodies.

Served by the same gunicorn settings as the real app. `BENCH_BODIES` names a JSON
file `{"name": "<body text>", ...}` with the bodies the real app returned for each
scenario, so each scenario is compared with a ceiling response of the same size;
`GET /<name>` returns that body as application/json.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response


def create_app() -> Flask:
    app = Flask("ceiling")
    with open(os.environ["BENCH_BODIES"], encoding="utf-8") as handle:
        bodies = {name: body.encode() for name, body in json.load(handle).items()}

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status": "ok"}', mimetype="application/json")

    @app.get("/<name>")
    def precomputed(name: str) -> Response:
        return Response(bodies[name], mimetype="application/json")

    return app
