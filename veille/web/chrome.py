"""The site's chrome of every HTML page (``render.html.Chrome``): the navigation — every
digest (the first one is ``/``), the sources, subscribing — and the page's alternate feeds.
Below every page module (``pages``, ``mail_pages``, ``reading``): they all import it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from veille.render import html
from veille.web import state


def site_chrome(
    request: Request, current: str, alternates: list[tuple[str, str, str]] | None = None
) -> html.Chrome:
    """Navigation: every digest (the first one is ``/``), the sources, subscribing."""
    nav = []
    for i, d in enumerate(state.config(request).digests):
        href = f"/digests/{quote(d.name, safe='')}"
        here = current == href or (i == 0 and current == "/")
        nav.append(html.Link("/" if i == 0 else href, d.title, here))
    for href, label in (("/feeds", "Sources"), ("/abonnement", "S'abonner")):
        nav.append(html.Link(href, label, current == href))
    return html.Chrome(nav=tuple(nav), alternates=tuple(alternates or ()))
