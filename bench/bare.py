"""The baseline: a bare ASGI endpoint that reads the body and answers ``{}``.

Served by the same uvicorn, with the same options, as the merchant server
(``bench.stack.serve``): what the server stack itself costs per request.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app"]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"{}"})
