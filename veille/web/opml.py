"""``GET /opml``: the sources as OPML 2.0, grouped by their tags (import into any reader)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from veille.render.opml import OPML_CONTENT_TYPE, export_opml
from veille.web import state

router = APIRouter()


@router.get("/opml", tags=["feeds"], response_class=Response)
def opml(request: Request) -> Response:
    """Every source of feeds.yaml, with its site address when known."""
    config = state.config(request)
    states = {f.id: f for f in state.store(request).feed_states()}
    body = export_opml(
        config,
        state.now(request),
        site_titles={i: s.title for i, s in states.items() if s.title},
        site_urls={i: s.site_url for i, s in states.items() if s.site_url},
        title="Sources de veille",
    )
    return Response(
        body,
        media_type=OPML_CONTENT_TYPE,
        headers={"Content-Disposition": 'inline; filename="veille.opml"'},
    )
