"""Published statements as bytes rendered once: JSON, gzipped, with a strong ETag (H11).

A published version's content never changes, but its JSON does once: ``superseded_by``
turns from null to the next version when a correction makes one. So a rendering is
kept under the version *and* its ``superseded_by`` (and the read model's generation),
and its ETag is the SHA-256 of the JSON bytes served, not the statement's
``content_hash``: a client revalidating version 1 after a correction must get the new
bytes, not a 304. The gzipped copy is made once too (GZipMiddleware would compress
~800 KB again on every request) and has its own ETag, as RFC 9110 asks of a strong
validator for another content coding.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

CACHED_BYTES = 64 * 2**20  # JSON and gzip bytes kept, by process
GZIP_LEVEL = 6  # once per version: 2,000 lines (~800 KB) compress to ~10% in tens of ms
# A superseded version can no longer change; the latest can (a correction supersedes it),
# so a cache may keep it a minute and must then ask again (cheap: a 304 if unchanged).
FROZEN = "public, max-age=31536000, immutable"
LATEST = "public, max-age=60, must-revalidate"
VARY = "Accept, Accept-Encoding"  # the format is negotiated by Accept, the coding by the other
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes  # exactly what the response model's model_dump_json(by_alias=True) gives
    gzipped: bytes
    etag: str  # "<SHA-256 of body>"; the gzipped copy's is "<same>-gzip"

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        return cls(body, gzipped, f'"{hashlib.sha256(body).hexdigest()}"')

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'


class RenderedCache:
    """Renderings by key, least recently used dropped past ``limit`` bytes; one render per key."""

    def __init__(self, limit: int = CACHED_BYTES) -> None:
        self.limit = limit
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], Rendered]) -> Rendered:
        with self._lock:
            found = self._hit(key)
            if found is not None:
                return found
            making = self._making.setdefault(key, threading.Lock())
        with making:  # 16 readers arriving at once render a 2,000-line statement once
            with self._lock:
                found = self._hit(key)
            if found is None:
                found = render()
                self._put(key, found)
            with self._lock:
                self._making.pop(key, None)
        return found

    def peek(self, key: Hashable) -> Rendered | None:
        """The rendering if made already; never renders (the caller may be on the event loop)."""
        with self._lock:
            return self._hit(key)

    def _hit(self, key: Hashable) -> Rendered | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def _put(self, key: Hashable, rendered: Rendered) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = rendered
            self._bytes += len(rendered.body) + len(rendered.gzipped)
            while self._bytes > self.limit and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body) + len(dropped.gzipped)


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding lists gzip (or x-gzip, or ``*``) with a weight above 0."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        coding, _, parameters = part.partition(";")
        weight = 1.0
        name, _, value = parameters.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        weights[coding.strip().lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def unchanged(if_none_match: str | None, rendered: Rendered) -> bool:
    """If-None-Match names this rendering (either coding; weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or rendered.etag in tags or rendered.gzip_etag in tags


def respond(
    rendered: Rendered, request: Request, cache_control: str, if_none_match: str | None
) -> Response:
    """The rendering as the client asked: 304, gzip or plain JSON, with its validators."""
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": rendered.gzip_etag if gzipped else rendered.etag,
        "Cache-Control": cache_control,
        "Vary": VARY,
    }
    if unchanged(if_none_match, rendered):
        return Response(status_code=304, headers=headers)
    if gzipped:
        return Response(
            rendered.gzipped, media_type=JSON, headers=headers | {"Content-Encoding": "gzip"}
        )
    return Response(rendered.body, media_type=JSON, headers=headers)
