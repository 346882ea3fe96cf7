"""Operations endpoints: liveness, readiness and the contract itself."""

from __future__ import annotations

import json
from copy import deepcopy
from functools import lru_cache

import marshmallow as ma
import yaml
from flask import Response, current_app
from sqlalchemy import text

from api.infra.database import db
from api.infra.unit_of_work import end_reads
from api.web import conventions
from api.web.contract import problems
from api.web.parsing import Blueprint
from api.web.problems import problem

blp = Blueprint("meta", __name__, description="Health and the API contract")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


@blp.route("/healthz")
@blp.doc(operationId="getHealth", description="Liveness: 200 while the process answers.")
@blp.response(200, HealthSchema)
def healthz():
    """The process is up"""
    return {"status": "ok", "checks": {}}


@blp.route("/readyz")
@blp.doc(
    operationId="getReadiness",
    description="Readiness: 200 when the database (and Redis, when configured) answer; "
    "503 naming what is unreachable otherwise.",
)
@blp.response(200, HealthSchema)
@problems(blp, 503, descriptions={503: "A dependency is unreachable"})
def readyz():
    """The database (and Redis, when configured) answer"""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    finally:
        end_reads()
    settings = current_app.config["MARGINALIA"]
    if settings.uses_redis:
        import redis

        try:
            redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except redis.RedisError:
            checks["redis"] = "unreachable"
    if any(state != "ok" for state in checks.values()):
        down = ", ".join(name for name, state in checks.items() if state != "ok")
        return problem(503, "Not ready", f"Unreachable: {down}.")
    return {"status": "ok", "checks": checks}


SERVERS = [
    {
        "url": "/",
        "description": "The host that serves this document (MARGINALIA_API_URL); "
        "`marginalia serve` listens on http://127.0.0.1:8000 by default",
    }
]


def openapi_document(app) -> str:
    """The OpenAPI contract as YAML, exactly as committed in openapi.yaml."""
    return _render(id(app), app)


def openapi_dict(app) -> dict:
    """The OpenAPI contract as data (a fresh copy the caller may change)."""
    return deepcopy(_build(id(app), app))


@lru_cache(maxsize=4)
def _build(_key, app) -> dict:
    document = deepcopy(app.extensions["openapi"].spec.to_dict())
    document = {"openapi": document.pop("openapi"), **document, "servers": SERVERS}
    return conventions.finish(document)


@lru_cache(maxsize=4)
def _render(_key, app) -> str:
    return yaml.safe_dump(_build(_key, app), sort_keys=False, allow_unicode=True, width=100)


@lru_cache(maxsize=4)
def _render_json(_key, app) -> str:
    return json.dumps(_build(_key, app), ensure_ascii=False, indent=1)


@blp.route("/openapi.yaml")
@blp.doc(
    operationId="getOpenApiYaml",
    description="This document, as committed in the repository's openapi.yaml.",
    responses={
        "200": {
            "description": "This contract",
            "content": {"application/yaml": {"schema": {"type": "object"}}},
        }
    },
)
def openapi_yaml():
    """The OpenAPI 3.1 contract of this API, as YAML"""
    return Response(openapi_document(current_app), mimetype="application/yaml")


@blp.route("/openapi.json")
@blp.doc(
    operationId="getOpenApiJson",
    description="The same document as `/openapi.yaml`, as JSON (for tools that read only JSON).",
    responses={
        "200": {
            "description": "This contract",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi_json():
    """The OpenAPI 3.1 contract of this API, as JSON"""
    return Response(_render_json(id(current_app), current_app), mimetype="application/json")
