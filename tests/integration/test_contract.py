"""The schema and the HTTP contract never drift from the code."""

from pathlib import Path

import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openapi_spec_validator import validate

from api.infra.database import db
from api.infra.migrations import include_object
from api.web.meta import openapi_document

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_produce_exactly_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_committed_openapi_yaml_is_what_the_code_generates(app):
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == openapi_document(app), (
        "openapi.yaml is stale: run `marginalia openapi` and commit the result"
    )


def test_openapi_document_is_valid_openapi_3_1(app):
    document = yaml.safe_load(openapi_document(app))
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_operation_documents_its_errors(app):
    document = yaml.safe_load(openapi_document(app))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters" or path in ("/healthz", "/openapi.yaml"):
                continue
            problems = [code for code in operation["responses"] if code[0] in "45"]
            assert problems, f"{method.upper()} {path} documents no error response"
            if operation.get("security"):
                assert "401" in operation["responses"], f"{method.upper()} {path} lacks 401"
                assert "403" in operation["responses"], f"{method.upper()} {path} lacks 403"


def test_contract_is_served(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert yaml.safe_load(response.get_data(as_text=True))["info"]["title"] == "Marginalia"
