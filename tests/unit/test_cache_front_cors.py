"""The cache front's CORS headers are flask-cors' own, for every origin setting."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_cors import CORS
from werkzeug.test import EnvironBuilder

from api.app import _cors_options
from api.cache.front import CorsHeaders
from config import load_settings

ORIGIN_SETTINGS = {
    "any": "*",
    "one": "https://blog.example",
    "two": "https://blog.example,https://admin.example",
    "pattern": r"https://.*\.blog\.example",
}
REQUESTS = {
    "no origin": {},
    "listed": {"Origin": "https://blog.example"},
    "listed, other case": {"Origin": "HTTPS://Blog.Example"},
    "pattern": {"Origin": "https://www.blog.example"},
    "unlisted": {"Origin": "https://evil.example"},
    "private network": {
        "Origin": "https://blog.example",
        "Access-Control-Request-Private-Network": "true",
    },
}


@pytest.mark.parametrize("setting", list(ORIGIN_SETTINGS))
@pytest.mark.parametrize("sent", list(REQUESTS))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_same_cors_headers_as_flask_cors(setting, sent, method):
    options = _cors_options(
        load_settings(environ={}, cors_origins=ORIGIN_SETTINGS[setting], demo_on_empty="false")
    )
    app = Flask("cors-check")
    CORS(app, **options)
    app.add_url_rule("/v1/posts", "posts", lambda: "")
    with_flask_cors = app.test_client().open("/v1/posts", method=method, headers=REQUESTS[sent])
    expected = [
        (name, value)
        for name, value in with_flask_cors.headers
        if name.startswith("Access-Control-") or name == "Vary"
    ]
    environ = EnvironBuilder("/v1/posts", method=method, headers=REQUESTS[sent]).get_environ()
    front = CorsHeaders(app, options)
    assert list(front(environ, method)) == expected
    assert list(front(environ, method)) == expected  # and again, from its memo


def test_an_origin_spanning_lines_is_left_to_flask():
    options = _cors_options(load_settings(environ={}, demo_on_empty="false"))
    environ = EnvironBuilder("/v1/posts", headers={"Origin": "https://a.example"}).get_environ()
    environ["HTTP_ORIGIN"] = "https://a.example\r\nSet-Cookie: x=1"
    with pytest.raises(ValueError):
        CorsHeaders(Flask("cors-check"), options)(environ, "GET")
