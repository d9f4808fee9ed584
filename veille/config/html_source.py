"""Checks of a ``type: html`` source's selectors and date format, for feeds.yaml (light).

The syntax is documented in :mod:`veille.ingest.parse.htmllist`, which reads pages with them. These
checks live apart so that loading feeds.yaml (in the process that holds the database) needs
selectolax only, not the parsing stack (feedparser, nh3) of the worker processes.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

__all__ = ["DATE_DIRECTIVE", "date_format_problem", "selector_problem", "split_selector"]

_ATTRIBUTE = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*\Z")


# --- selectors --------------------------------------------------------------------------------


def split_selector(text: str) -> tuple[str | None, str | None]:
    """``"time@datetime"`` → ``("time", "datetime")``; ``"@href"`` → ``(None, "href")``;
    ``"h3 a"`` → ``("h3 a", None)``. An ``@`` inside ``[…]`` or quotes is part of the CSS."""
    text = text.strip()
    at = text.rfind("@")
    if at >= 0:
        css, attribute = text[:at].strip(), text[at + 1 :].strip()
        balanced = css.count("[") == css.count("]") and css.count('"') % 2 == 0
        if _ATTRIBUTE.match(attribute) and balanced and css.count("'") % 2 == 0:
            return css or None, attribute.lower()
    return text or None, None


def selector_problem(text: str) -> str | None:
    """Why ``text`` is not a usable selector (French), or None."""
    if not text.strip():
        return "sélecteur vide"
    css, attribute = split_selector(text)
    if css is None:
        return None if attribute else "sélecteur vide"
    try:
        LexborHTMLParser("<p></p>").css(css)
    except SelectolaxError:
        hint = " (pour lire un attribut : sélecteur@attribut, ex. time@datetime)"
        return f"sélecteur CSS invalide « {css} »{hint if '@' in text else ''}"
    return None


DATE_DIRECTIVE = re.compile(r"%[-#]?[A-Za-z%]")
_STRPTIME_DIRECTIVES = frozenset("aAbBcdfGHIjmMpSuUVwWxXyYzZ%")


def date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable ``date_format`` (French), or None."""
    if fmt.strip().lower() == "iso":
        return None
    if not DATE_DIRECTIVE.search(fmt):
        return f"format de date « {fmt} » sans directive (ex. iso, « %d %B %Y », « %d/%m/%Y »)"
    for m in DATE_DIRECTIVE.finditer(fmt):
        if m.group(0)[-1] not in _STRPTIME_DIRECTIVES:
            return f"format de date « {fmt} » invalide : directive « {m.group(0)} » inconnue"
    if "%" in DATE_DIRECTIVE.sub("", fmt):
        return f"format de date « {fmt} » invalide : « % » sans directive (« %% » pour « % »)"
    return None
