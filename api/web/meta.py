"""Operations endpoints: liveness, readiness and the contract itself."""

from __future__ import annotations

from functools import lru_cache

import marshmallow as ma
import yaml
from flask import Response, current_app
from sqlalchemy import text

from api.infra.database import db
from api.infra.unit_of_work import end_reads
from api.web.parsing import Blueprint
from api.web.problems import problem

blp = Blueprint("meta", __name__, description="Health and the API contract")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """The process is up"""
    return {"status": "ok", "checks": {}}


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, description="A dependency is unreachable")
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


def openapi_document(app) -> str:
    """The OpenAPI contract as YAML, exactly as committed in openapi.yaml."""
    return _render(id(app), app)


@lru_cache(maxsize=4)
def _render(_key, app) -> str:
    spec = app.extensions["openapi"].spec.to_dict()
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


@blp.route("/openapi.yaml")
@blp.doc(
    responses={
        "200": {
            "description": "This contract",
            "content": {"application/yaml": {"schema": {"type": "object"}}},
        }
    }
)
def openapi_yaml():
    """The OpenAPI 3.1 contract of this API"""
    return Response(openapi_document(current_app), mimetype="application/yaml")
