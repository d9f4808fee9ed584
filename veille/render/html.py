"""What every HTML page shares: the security headers, the site's chrome (navigation and
alternate feeds), the Jinja environment and ``render_page``. Pure: data in, ``str`` out.

A page is a frozen dataclass built beside its own rules — the digest in
:mod:`veille.render.digest_page`; the sources, subscription and error pages in
:mod:`veille.render.site_pages`; the mail features' pages in :mod:`veille.render.mail_pages` —
and routes (``veille.web.pages``) select the data, build one page, then render it::

    page = build_digest_page(entries, taxonomy=config.tags, now=now, tz=tz, ...)
    html = render_page(page)

Nothing here touches the database, the network or the clock: ``now`` and ``tz`` are passed
in. Templates live in ``templates/`` (Jinja2, autoescape on: every string coming from a feed
is escaped); the stylesheet is ``static/veille.css``. Pages carry no script and no inline
style, so the strict Content-Security-Policy of ``CSP`` holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from urllib.parse import urlencode

import jinja2

from veille import PROJECT_URL
from veille.text import plural

__all__ = [
    "CSP", "SECURITY_HEADERS", "Chrome", "Link", "Page", "jinja_environment", "query_string",
    "render_page",
]  # fmt: skip

# No script at all; styles and images only from this origin (feeds' images are not shown).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# --- the chrome -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    label: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Chrome:
    """What every page shares: the site navigation and ``<link rel="alternate">`` feeds."""

    nav: tuple[Link, ...] = ()
    alternates: tuple[tuple[str, str, str], ...] = ()  # (type, title, href)
    site_title: str = "veille"


class Page(Protocol):
    """A page: a dataclass that its ``template`` (in ``templates/``) renders as ``page``."""

    @property
    def template(self) -> str: ...


# --- rendering -------------------------------------------------------------------------------


def jinja_environment(*folders: str) -> jinja2.Environment:
    """Templates of ``veille/render/<folder>`` (the first folder that has a name wins):
    autoescaped, strict, French filters."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("veille.render", f) for f in folders]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["plural"] = plural
    # AGPL §13: users of the service are offered its source, on every page.
    env.globals["source_url"] = PROJECT_URL
    return env


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("templates")


def render_page(page: Page) -> str:
    """The whole HTML document of ``page``."""
    return _environment().get_template(page.template).render(page=page)


def query_string(params: Iterable[tuple[str, str]]) -> str:
    """``?a=1&b=2`` without empty values ("" when nothing is left)."""
    kept = [(k, v) for k, v in params if v]
    return "?" + urlencode(kept) if kept else ""
