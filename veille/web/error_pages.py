"""Errors raised anywhere (an unknown address, a feed that does not exist, …) as a browser
sees them: a French page with the site's navigation. The app's error handlers (the one place
that maps errors to statuses) call ``wants_html`` and ``error_response``; API clients keep
``{"detail": "…"}``."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

from veille.render import html
from veille.text import first_upper
from veille.web import pages

ERROR_TITLES = {
    400: "Demande invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible",
    413: "Requête trop volumineuse",
    429: "Trop de tentatives",
    500: "Erreur du serveur",
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page: ``text/html`` accepted, outside ``/api/``. API clients,
    feed readers and scripts (``Accept: application/json``, ``*/*``) get JSON errors."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept and not accept.startswith("application/json")


def error_response(
    request: Request, status: int, detail: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    """The French error page of an error raised outside the page handlers (an unknown
    address, a feed that does not exist, …); ``detail`` None for Starlette's own errors."""
    if detail:
        message = first_upper(detail) + ("" if detail.endswith(".") else ".")
    elif status == 404:
        message = f"Aucune page à l'adresse « {request.url.path} »."
    elif status == 405:
        message = "Cette adresse ne s'ouvre pas ainsi dans un navigateur."
    else:
        message = "La demande n'a pas abouti."
    links = _suggestions(request) if status == 404 else ()
    title = ERROR_TITLES.get(status, "Erreur")
    response = pages.error_page(request, status, title, message, links=links)
    response.headers.update(headers or {})
    return response


def _suggestions(request: Request) -> tuple[html.Link, ...]:
    """Where a reader who typed ``/tags/ia`` (or ``/tags/ia/``) probably wanted to go."""
    parts = [p for p in request.url.path.split("/") if p]
    if len(parts) == 2 and parts[0] == "tags":
        label = pages.theme_label(request.app.state.config, parts[1])
        if label is not None:
            href = "/" + html.query_string([("tag", parts[1])])
            return (html.Link(href, f"Le thème « {label} »"),)
    return ()
