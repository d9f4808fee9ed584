"""Pages of the mail features: unsubscribe, archive list, curation — pure, data in,
``str`` out. They share the site's layout (``templates/base.html``: navigation, stylesheet)
and carry no script and no inline style (the strict CSP of ``render.html``); their own
templates are in ``mail_templates/`` (Jinja2, autoescape on). ``nav`` is a page's own
links (the curation's), under the site's navigation."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import jinja2

from veille.render.email import MailEntry
from veille.render.html import Chrome, jinja_environment


@dataclass(frozen=True, slots=True)
class ConfirmForm:
    action: str
    question: str
    button: str


@dataclass(frozen=True, slots=True)
class MessagePage:
    title: str
    message: str = ""
    form: ConfirmForm | None = None
    links: tuple[tuple[str, str], ...] = ()
    nav: tuple[tuple[str, str], ...] = ()
    chrome: Chrome = field(default_factory=Chrome)
    template: str = "message.html"


@dataclass(frozen=True, slots=True)
class ArchiveListPage:
    title: str
    digest_href: str
    issues: tuple[tuple[int, str, str, tuple[str, str]], ...]  # (n, href, subject, (iso, label))
    message: str = ""
    nav: tuple[tuple[str, str], ...] = ()
    chrome: Chrome = field(default_factory=Chrome)
    template: str = "archive_list.html"


@dataclass(frozen=True, slots=True)
class LoginPage:
    csrf: str
    error: str = ""
    title: str = "Connexion à la curation"
    message: str = ""
    nav: tuple[tuple[str, str], ...] = ()
    chrome: Chrome = field(default_factory=Chrome)
    template: str = "login.html"


@dataclass(frozen=True, slots=True)
class CurationPage:
    title: str
    action: str
    csrf: str
    number: int
    period: str
    introduction: str
    highlights: tuple[MailEntry, ...]
    entries: tuple[MailEntry, ...]
    hidden: tuple[MailEntry, ...]
    archives_href: str
    message: str = ""
    nav: tuple[tuple[str, str], ...] = ()
    chrome: Chrome = field(default_factory=Chrome)
    template: str = "curation.html"


Page = MessagePage | ArchiveListPage | LoginPage | CurationPage


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("mail_templates", "templates")  # the site's base.html too


def render_mail_page(page: Page) -> str:
    return _environment().get_template(page.template).render(page=page)
