"""Rendered statements: content negotiation of gzip, If-None-Match, and the bounded cache."""

from __future__ import annotations

import gzip
import threading
import time

import pytest

from api.statements.rendered import Rendered, RenderedCache, accepts_gzip, unchanged


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),
        ("deflate, *;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_gzip_is_sent_only_when_accept_encoding_allows_it(header: str, gzipped: bool) -> None:
    assert accepts_gzip(header) is gzipped


def test_the_etag_is_the_hash_of_the_json_and_the_gzip_copy_decodes_to_it() -> None:
    rendered = Rendered.of(b'{"a":1}')
    assert rendered.etag == '"015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"'
    assert rendered.gzip_etag == rendered.etag[:-1] + '-gzip"'
    assert gzip.decompress(rendered.gzipped) == b'{"a":1}'
    assert Rendered.of(b'{"a":1}').gzipped == rendered.gzipped  # no timestamp in the header
    assert unchanged(f"W/{rendered.etag}", rendered)
    assert unchanged(f'"x", {rendered.gzip_etag}', rendered)
    assert not unchanged('"015abd"', rendered)
    assert not unchanged(None, rendered)


def test_the_cache_renders_a_key_once_and_drops_the_least_recently_used() -> None:
    one, two = Rendered.of(b"1" * 600), Rendered.of(b"2" * 600)
    cache = RenderedCache(limit=len(one.body) + len(one.gzipped) + 1)  # room for one
    calls: list[str] = []

    def make(name: str, rendered: Rendered) -> Rendered:
        calls.append(name)
        time.sleep(0.05)  # readers arriving meanwhile wait for this rendering
        return rendered

    readers = [
        threading.Thread(target=cache.get, args=("k1", lambda: make("k1", one))) for _ in range(8)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert calls == ["k1"]
    assert cache.get("k1", lambda: make("k1", one)) is one
    assert cache.get("k2", lambda: make("k2", two)) is two  # over the limit: k1 goes
    assert cache.get("k1", lambda: make("k1", one)) is one
    assert calls == ["k1", "k2", "k1"]
