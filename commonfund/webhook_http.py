"""One webhook POST to a checked target: to the pinned address, bounded in time, its outcome a class.

The connection goes to the address the target check approved, never to a
fresh lookup of the name, while ``Host`` and TLS (SNI and the certificate
check) keep the name. A watchdog bounds the whole exchange, not each read, so
a receiver that trickles bytes cannot hold a sender past the timeout. What a
failure was is recorded and shown as a class (``FAILURES``), never as an
exception's text, which would tell a regulator what answers where.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass

from api.ports import FAILURES, Failure
from commonfund.webhook_targets import Target


@dataclass(frozen=True, slots=True)
class Outcome:
    """An attempt's result: the status the receiver gave, or the class of failure."""

    status: int | None
    failure: Failure | None  # None if delivered
    detail: str = ""  # what happened, for the operator's log only

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _Pinned(http.client.HTTPConnection):
    """An HTTP(S) connection to the target's checked address, under the target's name."""

    def __init__(self, target: Target, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target
        self.tls = tls if target.scheme == "https" else None
        if self.tls is not None:
            self.default_port = 443  # so Host carries no port when it is the default
        self.expired = False

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.target.port), self.timeout)
        if self.tls is not None:
            self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.target.host)

    def expire(self) -> None:
        """The watchdog: cut the exchange at the deadline, wherever it is blocked."""
        self.expired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):  # already closed
                self.sock.shutdown(socket.SHUT_RDWR)


def post(
    target: Target, body: bytes, headers: dict[str, str], timeout: float, tls: ssl.SSLContext
) -> Outcome:
    """POST once, at most ``timeout`` seconds in all; never follows a redirect."""
    connection = _Pinned(target, timeout, tls)
    watchdog = threading.Timer(timeout, connection.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Outcome(None, _failure(error, expired=connection.expired), _detail(error))
    finally:
        watchdog.cancel()
        connection.close()
    return Outcome(status, None if 200 <= status < 300 else "http_status", f"HTTP {status}")


def _failure(error: Exception, *, expired: bool) -> Failure:
    if expired or isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ssl.SSLError):  # before OSError: it is one
        return "tls_error"
    if isinstance(error, ConnectionRefusedError):
        return "connection_refused"
    return "connection_error"


def _detail(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def failure_of(stored: str | None) -> Failure | None:
    """The class of a stored ``last_error``: rows written before the classes held raw text."""
    if stored is None:
        return None
    known = next((f for f in FAILURES if f == stored), None)
    if known is not None:
        return known
    legacy: tuple[tuple[str, Failure], ...] = (
        ("HTTP ", "http_status"),
        ("Refused", "connection_refused"),
        ("timed out", "timeout"),
        ("Timeout", "timeout"),
        ("SSL", "tls_error"),
        ("CERTIFICATE", "tls_error"),
        ("gaierror", "dns_failure"),
        ("Name or service not known", "dns_failure"),
    )
    return next((kind for marker, kind in legacy if marker in stored), "connection_error")
