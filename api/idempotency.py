"""Idempotency-Key at the edge: a replay returns the first response byte for byte (spec/api.md, Writes).

The first request claims the key with a hash of its method, path and body
(people's names blinded by a keyed hash first); its 2xx response is stored and
replayed to any repeat. What is stored holds people's names sealed, as the
ledger does (ledger/personal.py), and is revealed as it is answered: after
``commonfund erase-person`` a replay shows the erasure marker in their place. A different body under
a used key is 409. An error response is not stored, so a refused request may
be retried with the same key. Underneath, the ledger derives entry ids from
the same key, so even two requests racing past this layer make one entry.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import suppress
from typing import cast

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import Principal
from api.deps import Services
from api.ports import AnswerTaken, Claim, StoredAnswer, StoredResponse
from api.problems import problem
from ledger.personal import blind_request, reveal_json

JSON = "application/json"
REPLAYED = {"Idempotent-Replayed": "true"}


def scope_of(principal: Principal) -> str:
    token = principal.token
    return f"{token.role}:{token.complex_id or token.jurisdiction or token.id}"


# Fields a body gained after requests were stored (issue #14): left out of the hash while
# empty, so a retry of a request sent before the upgrade still replays its first answer.
LATER_FIELDS = frozenset({"bank_reference", "bank_code"})


def request_hash(request: Request, body: BaseModel | None, services: Services) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in LATER_FIELDS or v}
    payload = blind_request(services.ledger.personal, payload)
    text = json.dumps([request.method, request.url.path, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def render(status: int, model: BaseModel) -> StoredResponse:
    body = json.dumps(
        model.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    )
    return StoredResponse(status, JSON, body.encode())


def answer(services: Services, stored: StoredResponse, **headers: str) -> Response:
    """A stored (or just rendered) response as the caller gets it: people's names revealed."""
    body = reveal_json(services.ledger.personal, stored.body)
    return Response(body, stored.status_code, media_type=stored.content_type, headers=headers)


def revealed(services: Services, model: BaseModel, status: int = 200) -> Response:
    """A read's answer with people's names revealed (scope checked by the route)."""
    return answer(services, render(status, model))


def idempotent(
    request: Request,
    services: Services,
    principal: Principal,
    key: str | None,
    *,
    body: BaseModel | None,
    run: Callable[[str], tuple[int, BaseModel]],
    rerun: bool = False,
    one_write: bool = False,
) -> Response:
    """Run ``run(key)`` once per key; ``run`` gets the key the ledger derives ids from.

    Without a key (a route whose key is optional) it runs once, unremembered; a route whose
    key is required takes ``api.deps.MoneyKey``, which answers 428 before this is reached.

    ``rerun``: the ledger itself makes the command idempotent on the key (it derives the
    entry's id from it, or the step is a no-op when repeated) and ``run`` builds its answer
    from the ledger's record. A key whose first request has no stored response yet (still
    running, or cut off after the money moved and before its answer was stored) is then
    run again, and the ledger answers with what it recorded, instead of a 409 that would
    last until the claim is abandoned (issue #12).

    ``one_write`` (with ``rerun``): the events and the stored answer are one transaction
    (issue #15; ``Ledger.work.written_along``): ``run`` must build its answer from the ledger's
    receipt, not from a read model, which sees the events only after the commit.
    """
    if key is None:
        status, model = run(request_hash(request, body, services))
        return consistent(request, services, answer(services, render(status, model)))
    if not (rerun and one_write):  # answered from the events' transaction only where ``run``
        # builds its answer before the commit (not from a read model): claimed, run, completed
        return claimed(request, services, principal, key, body=body, run=run, rerun=rerun)
    scope = scope_of(principal)
    digest = request_hash(request, body, services)
    found = services.idempotency.lookup(scope, key, digest, services.now())
    if found.state == "in_progress" and not rerun:
        return in_progress(request, key)
    if found.state in ("replay", "mismatch"):
        return settled(request, services, key, found)
    rendered: list[StoredResponse] = []

    def along(outcome: tuple[int, BaseModel]) -> StoredAnswer:
        rendered.append(render(*outcome))
        return StoredAnswer(scope, key, digest, rendered[-1], services.now())

    try:
        written = services.ledger.work.written_along(lambda: run(key), along)
    except AnswerTaken:  # a racing request with this key recorded its answer first
        found = services.idempotency.lookup(scope, key, digest, services.now())
        return settled(request, services, key, found)
    if written.recorded:
        return consistent(request, services, answer(services, rendered[-1]))
    status, model = cast(tuple[int, BaseModel], written.result)
    stored = render(status, model)  # a replay the ledger answered from its record
    earlier = services.idempotency.keep(scope, key, digest, stored, services.now())
    if earlier is not None:  # another run of this request stored its answer first: that one
        return consistent(request, services, answer(services, earlier, **REPLAYED))
    return consistent(request, services, answer(services, stored))


def claimed(
    request: Request,
    services: Services,
    principal: Principal,
    key: str,
    *,
    body: BaseModel | None,
    run: Callable[[str], tuple[int, BaseModel]],
    rerun: bool = False,
) -> Response:
    """The key claimed first, the command run, its answer stored after (three transactions):
    the routes whose answer comes from a read model or whose command is not idempotent on
    the key (docs/architecture.md, "One transaction per write request")."""
    scope = scope_of(principal)
    claim = services.idempotency.claim(
        scope, key, request_hash(request, body, services), services.now()
    )
    if claim.state == "mismatch":
        return problem(
            "idempotency-key-reused",
            f"Idempotency-Key {key!r} was used for a different request",
            instance=request.url.path,
        )
    if claim.state == "in_progress" and not rerun:
        return problem(
            "request-in-progress",
            f"a request with Idempotency-Key {key!r} is still being processed",
            instance=request.url.path,
            retryable=True,
        )
    if claim.state == "replay" and claim.response is not None:
        return answer(services, claim.response, **REPLAYED)
    try:
        status, model = run(key)
    except BaseException:
        if claim.state == "new":  # a rerun leaves the first request's claim alone
            with suppress(Exception):  # the database may be what failed: its error is the answer
                services.idempotency.release(scope, key)
        raise
    stored = render(status, model)
    earlier = services.idempotency.complete(scope, key, stored, services.now())
    if earlier is not None:  # another run of this request stored its answer first: that one
        return consistent(request, services, answer(services, earlier, **REPLAYED))
    return consistent(request, services, answer(services, stored))


def in_progress(request: Request, key: str) -> Response:
    return problem(
        "request-in-progress",
        f"a request with Idempotency-Key {key!r} is still being processed",
        instance=request.url.path,
        retryable=True,
    )


def settled(request: Request, services: Services, key: str, found: Claim) -> Response:
    """The answer to a key already used: its first answer again, or 409."""
    if found.state == "replay" and found.response is not None:
        return answer(services, found.response, **REPLAYED)
    if found.state == "mismatch":
        return problem(
            "idempotency-key-reused",
            f"Idempotency-Key {key!r} was used for a different request",
            instance=request.url.path,
        )
    return in_progress(request, key)


READ_YOUR_WRITES = "read-your-writes"
WAIT_SECONDS = 5.0


def consistent(request: Request, services: Services, response: Response) -> Response:
    """``Prefer: read-your-writes``: answer once the read models have applied this write.

    Bounded: after ``WAIT_SECONDS`` the response goes out without
    ``Preference-Applied``, so the client knows its next read may lag.
    """
    if READ_YOUR_WRITES not in request.headers.get("prefer", ""):
        return response
    head = services.ledger.recorder.max_notification_id() or 0
    response.headers["Projection-Position"] = str(head)
    deadline = time.monotonic() + WAIT_SECONDS
    if all(r.wait_for(head, max(0.0, deadline - time.monotonic())) for r in services.runners):
        response.headers["Preference-Applied"] = READ_YOUR_WRITES
    return response
