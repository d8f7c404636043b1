"""A published statement's JSON is rendered once and revalidated: ETag, 304, gzip, version 2."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx2 as httpx

from api.statements.rendered import FROZEN, LATEST
from api.statements.routes import published
from ledger.periods import Period
from projections.notices import Notices
from tests.e2e.test_statements_http import OCTOBER, october
from tests.e2e.world import day
from tests.plugins.api import Api

PLAIN = {"Accept-Encoding": "identity"}


def strong_tag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def as_the_model_renders_it(api: Api, complex_id: str, version: int) -> bytes:
    """What the route answered before it kept bytes: the response model's own JSON."""
    services: Any = api.client.app.state.services  # type: ignore[attr-defined]
    found = services.statements.version(complex_id, Period.parse(OCTOBER), version)
    return published(found).model_dump_json(by_alias=True).encode()


def get(api: Api, path: str, **headers: str) -> httpx.Response:
    return api.client.get(path, headers=headers)


def test_published_json_is_the_models_bytes_with_their_hash_as_etag(api: Api) -> None:
    b, a, _ = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"

    plain = get(api, public, **PLAIN)
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/json"
    assert "content-encoding" not in plain.headers
    assert plain.content == as_the_model_renders_it(api, a.complex_id, 1)
    assert plain.headers["etag"] == strong_tag(plain.content)
    assert plain.headers["cache-control"] == LATEST  # version 1 is the latest: it may change
    assert plain.headers["vary"] == "Accept, Accept-Encoding, Origin"  # Origin: CORS (#17)
    assert get(api, public, **PLAIN).content == plain.content  # the kept bytes, unchanged

    zipped = get(api, public, **{"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'  # another coding
    assert get(api, public, **{"Accept-Encoding": "gzip;q=0, deflate"}).content == plain.content

    for tag in (plain.headers["etag"], "W/" + plain.headers["etag"], zipped.headers["etag"], "*"):
        again = get(api, public, **PLAIN, **{"If-None-Match": f'"other", {tag}'})
        assert (again.status_code, again.content) == (304, b""), tag
        assert again.headers["etag"] == plain.headers["etag"]
        assert again.headers["cache-control"] == LATEST
    assert get(api, public, **{"If-None-Match": '"other"'}).status_code == 200
    csv = get(api, public, Accept="text/csv", **{"If-None-Match": plain.headers["etag"]})
    assert (csv.status_code, csv.headers["content-type"][:8]) == (200, "text/csv")


def test_a_correction_is_served_at_once_and_version_one_revalidates(api: Api) -> None:
    b, a, ids = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"
    first = get(api, public, **PLAIN)
    one = get(api, public + "?version=1", **PLAIN)
    assert one.content == first.content
    assert one.headers["cache-control"] == LATEST  # not superseded yet: it will say so later

    response = api.client.post(
        f"/v1/accounts/{a.account_id}/reversals",
        json={"reverses": ids["rent"], "reason": "重复入账", "value_date": day(-30)},
        headers={
            "Authorization": f"Bearer {a.tokens['m1']}",
            "Idempotency-Key": "rev-oct-cache",
            "Prefer": "read-your-writes",
        },
    )
    assert response.status_code == 201, response.text

    latest = get(api, public, **PLAIN, **{"If-None-Match": first.headers["etag"]})
    assert latest.status_code == 200  # not a 304 for version 1's tag, not version 1's bytes
    assert (latest.json()["version"], latest.json()["content"]["closing_balance"]) == (2, "1200.00")
    assert latest.content == as_the_model_renders_it(api, a.complex_id, 2)
    assert latest.headers["etag"] == strong_tag(latest.content) != first.headers["etag"]

    # Version 1's content is frozen, but its JSON now names version 2: a new tag, then immutable.
    old = get(api, public + "?version=1", **PLAIN, **{"If-None-Match": one.headers["etag"]})
    assert old.status_code == 200
    assert old.json()["superseded_by"] == 2
    assert old.json()["content"] == first.json()["content"]
    assert old.content == as_the_model_renders_it(api, a.complex_id, 1)
    assert old.headers["etag"] == strong_tag(old.content)
    assert old.headers["cache-control"] == FROZEN
    again = get(api, public + "?version=1", **{"If-None-Match": old.headers["etag"]})
    assert (again.status_code, again.headers["cache-control"]) == (304, FROZEN)


def test_what_the_process_holds_is_answered_without_the_database(api: Api) -> None:
    """On PostgreSQL a worker that hears the runner's notices answers a published version it
    holds on the event loop (api/statements/routes.py); SQLite holds nothing and always asks."""
    services: Any = api.client.app.state.services  # type: ignore[attr-defined]
    notices = [
        w for w in services.workers if isinstance(w, Notices) and w.hearer is services.statements
    ]
    assert len(notices) == (1 if api.settings.is_postgres else 0)
    for worker in notices:
        assert worker.listening.wait(10)
    b, a, _ = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"
    first = get(api, public, **PLAIN)
    held = services.statements.held_version(a.complex_id, Period.parse(OCTOBER))
    if not api.settings.is_postgres:
        assert held is None
        return
    assert held is not None
    assert held.version == 1

    def no_database(*_: object, **__: object) -> None:
        raise AssertionError("the held version should not be read again")

    services.statements.version = no_database
    try:
        again = get(api, public, **PLAIN)
        zipped = get(api, public, **{"Accept-Encoding": "gzip"})
        revalidated = get(api, public, **{"If-None-Match": first.headers["etag"]})
    finally:
        del services.statements.version

    def same(response: httpx.Response) -> dict[str, str]:  # but the request's own id (#17)
        return {k: v for k, v in response.headers.items() if k != "x-request-id"}

    assert (again.status_code, again.content, same(again)) == (
        first.status_code, first.content, same(first),
    )  # fmt: skip
    assert (zipped.status_code, zipped.content) == (200, first.content)
    assert revalidated.status_code == 304
