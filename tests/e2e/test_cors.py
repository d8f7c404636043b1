"""CORS on the open data only (api/cors.py, issue #17): any origin may read /v1/public/*."""

from __future__ import annotations

from tests.plugins.api import Api

ORIGIN = "https://civic.example.org"


def test_a_public_route_lets_any_origin_read_it(api: Api) -> None:
    response = api.client.get("/v1/public/complexes", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_a_preflight_on_a_public_route_is_answered_for_get_only(api: Api) -> None:
    asked = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    response = api.client.options("/v1/public/complexes", headers=asked)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    refused = api.client.options(
        "/v1/public/complexes", headers={**asked, "Access-Control-Request-Method": "POST"}
    )
    assert refused.status_code == 400


def test_an_authenticated_route_sends_no_cors_headers(api: Api) -> None:
    response = api.client.get(
        "/v1/alerts",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {api.operator}"},
    )
    cors = [h for h in response.headers if h.startswith("access-control-")]
    assert cors == []
    preflight = api.client.options(
        "/v1/alerts", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
