"""api/limits.py: the plain ASGI middleware that bounds bodies and turns a crash into a problem.

The e2e suite (tests/e2e/test_validation.py) covers 413 and 415 through the whole
app; here a small app shows what it cannot reach: a chunked body with no
Content-Length, the body replayed intact to the route, and an unexpected exception.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api import problems
from api.limits import MAX_BODY, Limits


def app() -> FastAPI:
    made = FastAPI()
    problems.install(made)
    made.add_middleware(Limits)

    @made.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        return {"length": len(body), "sum": sum(body) % 65_536}

    @made.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    return made


def chunks(total: int, size: int = 65_536) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        yield bytes([sent % 251]) * part
        sent += part


def test_a_chunked_body_reaches_the_route_whole() -> None:
    body = b"".join(chunks(300_000))
    with TestClient(app()) as client:
        response = client.post(
            "/echo", content=chunks(300_000), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json() == {"length": len(body), "sum": sum(body) % 65_536}


def test_a_chunked_body_over_the_limit_is_413_without_a_content_length() -> None:
    with TestClient(app()) as client:
        response = client.post(
            "/echo", content=chunks(MAX_BODY + 1), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/body-too-large"


def test_an_unexpected_exception_is_a_problem_not_a_bare_500() -> None:
    with TestClient(app(), raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/internal-error"
    assert response.json()["instance"] == "/boom"
