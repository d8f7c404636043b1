"""The OpenAPI document is complete: summaries, described and exemplified fields, listed errors."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api

METHODS = ("get", "post", "put", "patch", "delete")


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
                missing.extend(
                    f"{where}: error {status} not listed"
                    for status in ("401", "403", "404", "422")
                    if status not in listed
                )
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


def test_money_routes_show_the_idempotency_key_as_required(api: Api) -> None:
    """Routes that answer 428 without a key say so in the document, and only those."""
    document = api.client.get("/openapi.json").json()
    seen: dict[str, bool] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "Idempotency-Key":
                    answers_428 = "428" in operation["responses"]
                    seen[f"{method.upper()} {path}"] = parameter.get("required", False)
                    assert parameter.get("required", False) is answers_428, (method, path)
    assert seen["POST /v1/accounts/{account_id}/income"] is True
    assert seen["POST /v1/complexes/{complex_id}/resolutions"] is False
