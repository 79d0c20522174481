"""Running the app under uvicorn (used by ``dingmi serve``)."""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

PROTOCOL = "dingmi_service.server:NoDelayHTTPProtocol"


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol with TCP_NODELAY always on.

    Worker processes (``--workers N``) accept on an inherited socket whose ``proto`` is 0, so
    asyncio does not set TCP_NODELAY and every small response waits ~40 ms for a delayed ACK.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(app: Any, *, host: str, port: int, workers: int = 1) -> None:
    """Serve ``app`` (an app object, or None for one app per worker built by the factory)."""
    if workers == 1 and app is not None:
        uvicorn.run(app, host=host, port=port, http=PROTOCOL, log_level="info")
    else:
        uvicorn.run(
            "dingmi_service.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=PROTOCOL,
            log_level="info",
        )
