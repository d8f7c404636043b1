"""CORS on the open data only (``/v1/public/*``): a civic web page elsewhere may read it.

GET and HEAD from any origin, without credentials; a preflight is answered. Every other
path (the authenticated API, the pages) sends no CORS headers, so a browser keeps other
sites from reading what a token returns.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC = "/v1/public/"


class PublicCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD"],
            allow_credentials=False,
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = scope["type"] == "http" and scope["path"].startswith(PUBLIC)
        await (self.cors if public else self.app)(scope, receive, send)
