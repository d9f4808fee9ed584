"""The API's interactive documentation, ``/docs`` (Swagger UI), served from this service only.

FastAPI's own pages load their scripts, styles, fonts and favicon from public CDNs: blank on a
school network without Internet, and a CDN compromised would run its code on the same origin
as curation. Here the assets come from the ``fastapi-offline`` package (the Swagger UI bundle,
pinned with it) under ``/docs/assets/``, the favicon is the site's, and Swagger UI's online
validator badge is disabled. The page sends a Content-Security-Policy that allows nothing from
another host: its one inline script is allowed by its hash.

``/redoc`` redirects to ``/docs``: ReDoc's bundle always loads its logo from the vendor's CDN
(no option turns it off), so it is not served. ``/openapi.json`` is the machine-readable form.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

from veille.web.static import file_response

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
FAVICON = "/static/favicon.svg"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _csp(html: str) -> str:
    """Only this origin; inline scripts by hash. Styles may be inline: Swagger UI sets style
    attributes."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _page(html: str) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": _csp(html),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    return HTMLResponse(html, headers=headers)


@cache
def _swagger(openapi_url: str, title: str) -> str:
    return bytes(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            swagger_ui_parameters={"validatorUrl": None},  # else a badge from validator.swagger.io
        ).body
    ).decode()


@router.get("/docs")
def swagger_page(request: Request) -> Response:
    return _page(_swagger(request.app.openapi_url, request.app.title))


@router.get("/redoc")
def redoc_page() -> Response:
    return RedirectResponse("/docs", status_code=308)


@router.get("/docs/assets/{name}")
def asset(name: str) -> Response:
    return file_response(name, ASSETS, _asset_bytes, max_age=86400)


@cache
def _asset_bytes(name: str) -> bytes:
    return (resources.files("fastapi_offline") / "static" / name).read_bytes()
