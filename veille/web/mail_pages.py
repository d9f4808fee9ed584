"""The pages of the mail features (``render.mail_pages``: unsubscribe, archives, login,
curation) as answers: with the site's navigation, like every other page, and the pages'
security headers. ``error`` is a French message page with its status."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request
from fastapi.responses import HTMLResponse

from veille.render.html import SECURITY_HEADERS
from veille.render.mail_pages import MessagePage, Page, render_mail_page
from veille.web.chrome import site_chrome

BACK = (("/", "Revenir à la veille"),)


def page(request: Request, p: Page, status: int = 200) -> HTMLResponse:
    """A page with the site's navigation, like every other page."""
    body = render_mail_page(replace(p, chrome=site_chrome(request, request.url.path)))
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, MessagePage(title, message=message, links=BACK), status)
