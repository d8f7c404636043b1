"""Run the ASGI app under uvicorn, with TCP_NODELAY on every connection whatever the worker count.

With ``--workers N`` uvicorn binds the listening socket itself with protocol 0,
accepted sockets inherit it, and asyncio then skips TCP_NODELAY (uvicorn issue
#3149): every response after the first on a keep-alive connection waits for the
client's delayed ACK, about 40 ms. Setting TCP_NODELAY on the listening socket
fixes it, since Linux hands the option on to accepted sockets.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "commonfund.server:app"


class NoDelayConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def serve(*, host: str, port: int, workers: int, healthcheck_seconds: int) -> None:
    """``healthcheck_seconds``: how long a worker may take to answer the supervisor's ping
    (and, once restarted, to start); uvicorn's 5 s killed workers still starting under load
    (COMMONFUND_WORKER_HEALTHCHECK_SECONDS, docs/operations.md)."""
    config = NoDelayConfig(
        APP, factory=True, host=host, port=port, workers=workers, log_level="info",
        timeout_worker_healthcheck=healthcheck_seconds,
    )  # fmt: skip
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()  # a single worker binds through asyncio, which sets NODELAY
