"""The framework ceiling: a bare Flask app returning precomputed JSON bodies.

Served by the same gunicorn settings as the real app. `BENCH_BODIES` names a folder
holding `<name>.json` files: the bodies the real app returned for each scenario, so
each scenario is compared with a ceiling response of the same size. `GET /<name>`
returns that body as application/json (read once per worker, then from memory).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, abort


def create_app() -> Flask:
    app = Flask("ceiling")
    folder = Path(os.environ["BENCH_BODIES"])
    bodies: dict[str, bytes] = {}

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status": "ok"}', mimetype="application/json")

    @app.get("/<name>")
    def precomputed(name: str) -> Response:
        body = bodies.get(name)
        if body is None:
            path = folder / f"{name}.json"
            if not path.is_file():
                abort(404)
            body = bodies[name] = path.read_bytes()
        return Response(body, mimetype="application/json")

    return app
