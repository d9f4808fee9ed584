"""Packaged files: the stylesheets and the icon (no external resource anywhere)::

    GET /static/{file}

``file_response`` also serves the API documentation's files (``web.docs``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from fastapi import APIRouter, Response

router = APIRouter(include_in_schema=False)

STATIC = {
    "veille.css": "text/css; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


@router.get("/static/{name}")
def static(name: str) -> Response:
    return file_response(name, STATIC, _static_bytes)


def file_response(
    name: str, types: dict[str, str], read: Callable[[str], bytes], max_age: int = 3600
) -> Response:
    """One of a fixed set of packaged files (``types``: name → media type), else a 404."""
    if name not in types:
        return Response("introuvable", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(
        read(name),
        media_type=types[name],
        headers={
            "Cache-Control": f"public, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@cache
def _static_bytes(name: str) -> bytes:
    return (resources.files("veille.render") / "static" / name).read_bytes()
