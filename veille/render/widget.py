"""The widget: a digest's latest titles by theme, as a compact page meant for an iframe of an
ENT portal or a Moodle course (``/digests/NAME/widget``). Pure: data in, ``str`` out.

No site navigation, no form, no script; every link opens in the whole window (``target=
"_top"``: a reader leaves the portal's frame for the article, never browses inside it). The
same strict Content-Security-Policy as the pages (``render.html.CSP``); who may frame it is
the deployment's choice (``VEILLE_FRAME_ANCESTORS``, applied by ``web.embedding``). Its
stylesheet is ``static/widget.css``: light and dark, WCAG AA contrasts, readable from a
260 px column up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import jinja2

from veille.models import EntryView, TagRule
from veille.render.email import MailSection, theme_sections
from veille.render.html import jinja_environment

__all__ = ["DEFAULT_COUNT", "MAX_COUNT", "WidgetPage", "build_widget", "render_widget"]

DEFAULT_COUNT = 8
MAX_COUNT = 30


@dataclass(frozen=True, slots=True)
class WidgetPage:
    title: str  # the digest's
    sections: tuple[MailSection, ...]
    page_url: str  # the digest's page ("Toute la veille")
    feed_url: str  # its RSS feed


def build_widget(
    entries: Sequence[EntryView],
    *,
    title: str,
    taxonomy: Sequence[TagRule],
    tz: ZoneInfo,
    page_url: str,
    feed_url: str,
) -> WidgetPage:
    """``entries`` (the digest's latest) grouped by theme, in taxonomy order, as the letter
    groups them (``render.email.theme_sections``)."""
    sections = theme_sections(entries, taxonomy, tz, per_section=len(entries))
    return WidgetPage(title, sections, page_url, feed_url)


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("templates")


def render_widget(page: WidgetPage) -> str:
    return _environment().get_template("widget.html").render(page=page)
