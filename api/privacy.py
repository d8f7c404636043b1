"""Responses that depend on a credential are stored by no cache: ``Cache-Control: private, no-store``.

Whatever reads a credential (the principal dependency, the regulator's pages and their
session cookie) marks the request with ``depends_on_credentials``; this plain ASGI layer
then sets the header on the response, replacing any the route chose, whatever the status
(a 401 or a 404 says something about the credential too). A route that reads no credential
keeps its own caching: a published statement stays public even when a client sends a token
along, since nothing in it depends on the token.
"""

from __future__ import annotations

from fastapi import Request

from api.limits import ASGIApp, Message, Receive, Scope, Send

PRIVATE = "private, no-store"
MARK = "commonfund.depends_on_credentials"  # a key of the ASGI scope, shared down the stack


def depends_on_credentials(request: Request) -> None:
    """Mark the response to ``request`` as depending on who sent it (a dependency too)."""
    request.scope[MARK] = True


class Privacy:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get(MARK):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", PRIVATE.encode())]
            await send(message)

        await self.app(scope, receive, marked)
