"""The OpenAPI document is complete: summaries, described and exemplified fields, listed errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.world import Builder
from tests.plugins.api import Api

# The document is built from the routes and schemas alone: no store changes a byte of it.
pytestmark = pytest.mark.stores("sqlite")

METHODS = ("get", "post", "put", "patch", "delete")
CLEAN_ID = re.compile(r"[a-z][a-zA-Z0-9]*")
WRITES = ("post", "put", "patch", "delete")
NIL = "00000000-0000-0000-0000-000000000000"


def test_every_route_has_a_summary_and_lists_its_errors(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    missing: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            if not operation.get("summary"):
                missing.append(f"{where}: no summary")
            if path.startswith("/v1/"):
                listed = set(operation.get("responses", {}))
                expected = (
                    ("401", "403", "404", "422") if "security" in operation else ("404", "422")
                )
                missing.extend(
                    f"{where}: error {status} not listed"
                    for status in expected
                    if status not in listed
                )
    assert missing == []


def test_every_operation_has_a_summary_and_a_description_that_says_more(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    missing: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            summary, description = operation.get("summary", ""), operation.get("description", "")
            if not summary.strip():
                missing.append(f"{where}: no summary")
            if len(description.strip()) < 40 or description.strip() == summary.strip():
                missing.append(f"{where}: no description beyond its summary")
    assert missing == []


def test_every_schema_field_has_a_description_and_an_example(api: Api) -> None:
    schemas: dict[str, Any] = api.client.get("/openapi.json").json()["components"]["schemas"]
    missing = []
    for name, schema in schemas.items():
        if name in ("HTTPValidationError", "ValidationError"):
            continue  # FastAPI's own, unused: our 422 bodies are problem+json
        for field, spec in schema.get("properties", {}).items():
            described = "description" in spec or any(
                "description" in s for s in spec.get("anyOf", []) + spec.get("allOf", [])
            )
            has_example = (
                "examples" in spec
                or "example" in spec
                or any("examples" in s for s in spec.get("anyOf", []) + spec.get("allOf", []))
                # a referenced schema carries its own examples, field by field
                or "$ref" in spec
                or "$ref" in spec.get("items", {})
                or any("$ref" in s for s in spec.get("anyOf", []))
            )
            if not described:
                missing.append(f"{name}.{field}: no description")
            if not has_example:
                missing.append(f"{name}.{field}: no example")
    assert missing == []


def test_the_routes_that_answer_428_are_the_ones_documented_so(api: Api) -> None:
    """Every write is sent without an Idempotency-Key: those that answer 428 show the key as
    required (a plain string) and list the 428, and no other route does."""
    side = Builder(api).side("370202")
    ids = {
        "complex_id": side.complex_id, "committee_id": side.committee_id,
        "account_id": side.account_id, "expenditure_id": side.theirs,
        "resolution_id": side.election_id, "token_id": "tok_0", "period": "2026-10",
        "alert_id": NIL, "rule_id": "A04", "webhook_id": NIL, "project_id": NIL, "year": "2025",
        "unit_id": side.unit_ids[0], "disbursement_id": NIL, "link_id": "link-0",
        "ballot_id": NIL, "receipt": "ab" * 32,
    }  # fmt: skip
    document = api.client.get("/openapi.json").json()
    documented: set[str] = set()
    answered: set[str] = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in WRITES:
                continue
            where = f"{method.upper()} {path}"
            keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
            if keys and keys[0].get("required"):
                documented.add(where)
                assert "428" in operation["responses"], where
                assert keys[0]["schema"]["type"] == "string", where  # not "string or null"
            response = api.client.request(
                method.upper(),
                path.format(**ids),
                json={},
                headers={"Authorization": f"Bearer {side.tokens['m1']}"},
            )
            if response.status_code == 428:
                assert response.json()["type"] == "/problems/idempotency-key-required", where
                answered.add(where)
    assert answered == documented
    assert {
        "POST /v1/accounts/{account_id}/income",
        "POST /v1/accounts/{account_id}/expenditures",
        "POST /v1/accounts/{account_id}/reversals",
        "POST /v1/complexes/{complex_id}/maintenance-fund/deposits",
        "POST /v1/maintenance-projects/{project_id}/disbursements",
        "POST /v1/maintenance-projects/{project_id}/disbursements/{disbursement_id}/approvals",
    } <= answered
    assert "POST /v1/complexes/{complex_id}/resolutions" not in answered


def test_every_route_that_takes_a_token_lists_the_429(api: Api) -> None:
    """A route that reads the bearer token may be rate limited (api/ratelimit.py)."""
    document = api.client.get("/openapi.json").json()
    taking: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS and "security" in operation:
                taking[f"{method.upper()} {path}"] = set(operation["responses"])
    assert len(taking) > 40
    assert [where for where, listed in taking.items() if "429" not in listed] == []
    assert "429" not in document["paths"]["/v1/public/complexes"]["get"]["responses"]


def test_the_webhook_payload_is_documented_with_the_apis_alert(api: Api) -> None:
    """One alert shape (issue #13): the webhook's body holds the API's AlertPublic."""
    document = api.client.get("/openapi.json").json()
    operation = document["webhooks"]["alert.raised"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/AlertRaised"}
    schemas = document["components"]["schemas"]
    alert = schemas["AlertRaised"]["properties"]["alert"]
    assert "#/components/schemas/AlertPublic" in str(alert)
    listed = schemas["AlertsPage"]["properties"]["items"]["items"]
    assert listed == {"$ref": "#/components/schemas/AlertPublic"}


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_bearer_scheme_is_declared_and_the_header_is_no_plain_parameter(api: Api) -> None:
    """Swagger UI's Authorize button needs the scheme; a route that takes the token declares
    it, a public one does not (issue #17)."""
    document = api.client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in document["paths"]["/v1/public/complexes"]["get"]
    income = document["paths"]["/v1/accounts/{account_id}/income"]["post"]
    assert income["security"] == [{"bearer": []}]
    plain = [
        where
        for where, operation in _operations(document)
        for p in operation.get("parameters", [])
        if p["name"].lower() == "authorization"
    ]
    assert plain == []


def test_401_and_403_are_listed_exactly_where_a_credential_is_taken(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    wrong = [
        f"{where}: {status}"
        for where, operation in _operations(document)
        for status in ("401", "403")
        if (status in operation["responses"]) != ("security" in operation)
    ]
    assert wrong == []
    secured = [w for w, o in _operations(document) if "security" in o]
    assert len(secured) > 40


def test_every_operation_id_is_a_clean_unique_name(api: Api) -> None:
    """``recordIncome``, not ``record_income_v1_accounts__account_id__income_post``."""
    document = api.client.get("/openapi.json").json()
    ids = [operation["operationId"] for _, operation in _operations(document)]
    assert [i for i in ids if not CLEAN_ID.fullmatch(i)] == []
    assert len(ids) == len(set(ids))
    assert document["paths"]["/v1/accounts/{account_id}/income"]["post"]["operationId"] == (
        "recordIncome"
    )


def test_every_error_is_problem_json_and_every_tag_is_described(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    wrong = [
        f"{where}: {status} {sorted(response.get('content', {}))}"
        for where, operation in _operations(document)
        for status, response in operation["responses"].items()
        if status[:1] == "4" and list(response.get("content", {})) != ["application/problem+json"]
    ]
    assert wrong == []
    described = {t["name"] for t in document["tags"] if t.get("description")}
    used = {tag for _, operation in _operations(document) for tag in operation.get("tags", [])}
    assert used - described == set()
