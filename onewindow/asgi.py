"""ASGI entry point of the whole platform (``onewindow serve`` runs it under uvicorn).

Ordinary (sync) views run in threads as under WSGI; the hall's display streams are async and
hold no thread while they wait: they are served here without Django's (sync) middleware chain,
which would keep a thread per open request (docs/decisions/0007-asgi-and-live-streams.md). The
lifespan protocol, which Django's handler refuses, is answered here so that a stopping server
ends the open streams at once instead of waiting for screens that never hang up.
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
django_application = get_asgi_application()

from onewindow.hall.stream import (  # noqa: E402 - needs Django set up first
    asgi_stream,
    lifespan,
    stream_centre_id,
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    centre_id = stream_centre_id(scope)
    if centre_id is not None:  # a display stream: served without pinning a thread
        await asgi_stream(scope, centre_id, receive, send)
        return
    await django_application(scope, receive, send)
