"""Run the ASGI app under uvicorn, with TCP_NODELAY on every connection whatever the worker count.

With ``--workers N`` uvicorn binds the listening socket itself with protocol 0,
accepted sockets inherit it, and asyncio then skips TCP_NODELAY (uvicorn issue
#3149): every response after the first on a keep-alive connection waits for the
client's delayed ACK, about 40 ms. Setting TCP_NODELAY on the listening socket
fixes it, since Linux hands the option on to accepted sockets.

``on_listening`` is called once with the base URLs once the server answers: with one worker
when its startup is complete, with several when the first worker reports its startup
complete to the supervisor (uvicorn has no hook of its own for either). `commonfund serve`
prints the pages' addresses then (commonfund/cli.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable

import uvicorn
from uvicorn.supervisors import Multiprocess

from commonfund.logs import log_config

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's multiprocess mode (issue #17)

APP = "commonfund.server:app"

Listening = Callable[[list[str]], None]  # called with the base URLs, once they answer


def base_urls(names: Iterable[tuple[str, int] | tuple[str, int, int, int]]) -> list[str]:
    """``http://host:port`` of each bound address; a wildcard bind as this host's loopback."""
    urls: list[str] = []
    for host, port, *_ in names:
        shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 - mapped away
        urls.append(f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}")
    return urls


class AnnouncingServer(uvicorn.Server):
    """One worker: calls ``on_listening`` when its startup is complete and its sockets listen."""

    def __init__(self, config: uvicorn.Config, on_listening: Listening | None = None) -> None:
        super().__init__(config)
        self.on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_listening is not None:
            found = [sock.getsockname() for server in self.servers for sock in server.sockets]
            self.on_listening(base_urls(found))


class AnnouncingMultiprocess(Multiprocess):
    """Several workers: calls ``on_listening`` once the first worker has finished its startup.

    Asked in the supervisor's own loop, between its health checks, so its pings never
    interleave with theirs on a worker's pipe."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], on_listening: Listening | None
    ) -> None:
        super().__init__(config, sockets)
        self.on_listening = on_listening

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if self.on_listening is None or self.should_exit.is_set():
            return
        if any(process.is_ready(timeout=0.5) for process in self.processes):
            announce, self.on_listening = self.on_listening, None
            announce(base_urls(sock.getsockname() for sock in self.sockets))


class NoDelayConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def uvicorn_config(
    *, host: str, port: int, workers: int, healthcheck_seconds: int, trusted_proxies: str = "",
    log_format: str = "json",
) -> NoDelayConfig:  # fmt: skip
    """``healthcheck_seconds``: how long a worker may take to answer the supervisor's ping
    (and, once restarted, to start); uvicorn's 5 s killed workers still starting under load
    (COMMONFUND_WORKER_HEALTHCHECK_SECONDS, docs/operations.md).

    X-Forwarded-For and -Proto are believed only from ``trusted_proxies`` (comma-separated):
    uvicorn's own default believes them from 127.0.0.1, so that anything on this host could
    pose as any client address to the rate limits (api/ratelimit.py); here, no proxy is
    trusted unless one is named.
    """
    trusted = [p.strip() for p in trusted_proxies.split(",") if p.strip()]
    return NoDelayConfig(
        APP, factory=True, host=host, port=port, workers=workers, log_level="info",
        timeout_worker_healthcheck=healthcheck_seconds,
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
        log_config=log_config(log_format),
    )  # fmt: skip


def serve(
    *, host: str, port: int, workers: int, healthcheck_seconds: int, trusted_proxies: str = "",
    log_format: str = "json", on_listening: Listening | None = None,
) -> None:  # fmt: skip
    config = uvicorn_config(
        host=host, port=port, workers=workers, healthcheck_seconds=healthcheck_seconds,
        trusted_proxies=trusted_proxies, log_format=log_format,
    )  # fmt: skip
    if workers > 1:
        # Each worker writes its metrics to files in a directory of this run, made empty
        # (a previous run's counts must not add in) and removed when the supervisor ends;
        # the spawned workers inherit the variable before they import prometheus_client.
        directory = tempfile.mkdtemp(prefix="commonfund-metrics-")
        os.environ[METRICS_DIR] = directory
        try:
            AnnouncingMultiprocess(config, [config.bind_socket()], on_listening).run()
        finally:
            os.environ.pop(METRICS_DIR, None)
            shutil.rmtree(directory, ignore_errors=True)
    else:
        # a single worker binds through asyncio, which sets NODELAY
        AnnouncingServer(config, on_listening).run()
