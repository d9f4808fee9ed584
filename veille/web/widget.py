"""The widget route: a digest's latest titles, for an iframe of an ENT portal or a Moodle
course (``render.widget``)::

    GET /digests/{name}/widget?n=8     the ``n`` latest articles (1 to 30) by theme

Who may frame it (and the pages) is ``VEILLE_FRAME_ANCESTORS`` (``web.embedding``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from veille.render.html import SECURITY_HEADERS
from veille.render.widget import DEFAULT_COUNT, MAX_COUNT, build_widget, render_widget
from veille.selection import digest_selection, select_entries
from veille.web import state

router = APIRouter(include_in_schema=False)

CACHE_CONTROL = "public, max-age=300"  # as the output feeds: a portal page may be busy


@router.get("/digests/{name}/widget", response_class=HTMLResponse)
def widget(
    request: Request,
    name: str,
    n: Annotated[int, Query(ge=1, le=MAX_COUNT)] = DEFAULT_COUNT,
) -> Response:
    config = state.config(request)
    spec = config.digest(name)
    if spec is None:
        raise HTTPException(404, f"sélection inconnue : {name}")
    selection = digest_selection(spec, state.now(request), limit=n)
    entries = select_entries(state.store(request), selection).entries
    base = f"{state.settings(request).base_url.rstrip('/')}/digests/{quote(name, safe='')}"
    page = build_widget(
        entries,
        title=spec.title,
        taxonomy=config.tags,
        tz=request.app.state.tz,
        page_url=base,
        feed_url=f"{base}.rss",
    )
    headers = SECURITY_HEADERS | {"Cache-Control": CACHE_CONTROL}
    return HTMLResponse(render_widget(page), headers=headers)
