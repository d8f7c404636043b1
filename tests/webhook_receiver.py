"""A real webhook receiver on 127.0.0.1 for the tests: records every request, fails the first N.

``verify`` is the check docs/operations.md gives receivers: the Standard
Webhooks reference library's, so the tests prove that a receiver using it
accepts our deliveries (and refuses them under another secret).
"""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

# The operator's setting that lets webhooks reach the tests' receivers on 127.0.0.1 over
# plain http: without it such a URL is refused, at registration and at delivery
LOOPBACK_ALLOWED: dict[str, Any] = {
    "webhook_allowed_hosts": "127.0.0.1",
    "webhook_require_https": False,
}


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # names in lower case (HTTP header names are case-insensitive)
    body: bytes
    answered: int


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver's check, as docs/operations.md gives it: ``Webhook(secret).verify``."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


HANG_SECONDS = 30.0  # a hanging receiver's longest silence: every test ends well before


class Receiver:
    """Answers ``status`` to the first ``failures`` requests, then 200; or, hanging, never
    answers (until it is closed). Speaks TLS with ``tls=(certfile, keyfile)``."""

    def __init__(
        self,
        failures: int = 0,
        status: int = 500,
        *,
        hang: bool = False,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.failures = failures
        self.status = status
        self.hang = hang
        self.closing = threading.Event()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    failing = len(receiver.received) < receiver.failures
                    status = 0 if receiver.hang else receiver.status if failing else 200
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append(Received(headers, body, status))
                if receiver.hang:
                    receiver.closing.wait(HANG_SECONDS)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests() if r.answered == 200]

    def wait(self, until: Callable[[Receiver], bool], *, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not until(self):
            assert time.monotonic() < deadline, f"gave up waiting: {self.requests()}"
            time.sleep(0.02)


def certificate(folder: Path, name: str) -> tuple[str, str]:
    """A self-signed certificate for ``name`` (and its key), for a TLS receiver."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return str(cert), str(key)


@contextmanager
def receiving(failures: int = 0, status: int = 500, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(failures, status, **options)
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.closing.set()
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(timeout=5)
