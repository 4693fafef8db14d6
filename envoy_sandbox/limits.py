"""Size limits on what callers send: a request body, and an emitted event's ``data``."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import envelope

MAX_BODY_BYTES = 1024 * 1024
MAX_EVENT_DATA_BYTES = 256 * 1024  # as delivered: the event's data serialized as JSON


class BodyLimitMiddleware:
    """Answer a request body over ``MAX_BODY_BYTES`` with 413 before anything parses it.

    A declared Content-Length is checked up front (the server stops a body at its declared
    length, so it cannot grow past it). A body without one (chunked) is read here and counted as
    it streams, then handed on whole, so no route ever starts on a body it would have refused.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.limit:
                await self._refuse(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        first: Message | None = await _whole_body(receive, self.limit)
        if first is None:
            await self._refuse(scope, receive, send)
            return

        async def replay() -> Message:
            nonlocal first
            if first is not None:
                message, first = first, None
                return message
            return await receive()  # after the body: only a disconnect can come

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {shown(self.limit)}."
        await envelope(413, message, param="body")(scope, receive, send)


def shown(size: int) -> str:
    """A byte count as people write limits: ``1 MiB``, ``256 KiB``."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The server has already refused a malformed or repeated length.
            return int(value)
    return None


async def _whole_body(receive: Receive, limit: int) -> Message | None:
    """The body as one message, or None once it passes ``limit``; a disconnect as it came."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}
