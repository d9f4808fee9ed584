"""Pages of the mail features: unsubscribe, archive list, curation — pure, data in,
``str`` out. They share the site's layout (``templates/base.html``: navigation, stylesheet)
and carry no script and no inline style (the strict CSP of ``render.html``); their own
templates are in ``mail_templates/`` (Jinja2, autoescape on), each extending
``layout.html``, which reads the fields of ``Layout``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import jinja2

from veille.render.curation_page import (
    CorrectionLine,
    CurationFilters,
    CurationRow,
    CurationSection,
    UneRow,
)
from veille.render.email import MailEntry
from veille.render.html import Chrome, jinja_environment


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """What ``mail_templates/layout.html`` reads of every page beside its title: a status
    line (``message``), the page's own links under the site's navigation (``nav``: the
    curation's), and the site's chrome (set by the route)."""

    message: str = ""
    nav: tuple[tuple[str, str], ...] = ()
    chrome: Chrome = field(default_factory=Chrome)


@dataclass(frozen=True, slots=True)
class ConfirmForm:
    action: str
    question: str
    button: str


@dataclass(frozen=True, slots=True)
class MessagePage(Layout):
    title: str
    form: ConfirmForm | None = None
    links: tuple[tuple[str, str], ...] = ()
    template: str = "message.html"


@dataclass(frozen=True, slots=True)
class ArchiveListPage(Layout):
    title: str
    digest_href: str
    issues: tuple[tuple[int, str, str, tuple[str, str]], ...]  # (n, href, subject, (iso, label))
    template: str = "archive_list.html"


@dataclass(frozen=True, slots=True)
class LoginPage(Layout):
    csrf: str
    error: str = ""
    suite: str = ""  # where to go afterwards (a path of this site)
    name: str = ""  # the name typed, given back after a refusal
    admin_token: bool = False  # the admin token still opens the curation (no editor account)
    oidc: bool = False  # the school's identity provider is offered (OpenID Connect)
    title: str = "Connexion"
    template: str = "login.html"


@dataclass(frozen=True, slots=True)
class CurationPage(Layout):
    """The curation of a digest's next issue (rows and filters: ``render.curation_page``)."""

    title: str
    action: str
    csrf: str
    number: int
    period: str
    introduction: str
    highlights: tuple[CurationRow, ...]
    sections: tuple[CurationSection, ...]
    filters: CurationFilters
    total: int  # entries of the issue, whatever the filters
    unreviewed: int  # of which nobody has gone through yet
    hidden: tuple[MailEntry, ...]
    corrections: tuple[CorrectionLine, ...]  # the latest, on any entry
    archives_href: str
    editor: str  # who is logged in
    une: tuple[UneRow, ...] = ()  # « À la une » of the issue, best first
    une_dropped: tuple[MailEntry, ...] = ()  # the lines whose story editors dropped from it
    # A draft of the introduction from the top stories' own sentences: shown, never sent
    # unless the editor saves it (``curation_page.draft_introduction``)
    draft: str = ""
    template: str = "curation.html"

    @property
    def rows(self) -> tuple[CurationRow, ...]:
        return self.highlights + tuple(r for s in self.sections for r in s.rows)

    @property
    def unreviewed_ids(self) -> str:
        """The rows shown that nobody has gone through, for « mark them all as seen »."""
        return ",".join(r.id for r in self.rows if not r.reviewed)


Page = MessagePage | ArchiveListPage | LoginPage | CurationPage


@cache
def _environment() -> jinja2.Environment:
    return jinja_environment("mail_templates", "templates")  # the site's base.html too


def render_mail_page(page: Page) -> str:
    return _environment().get_template(page.template).render(page=page)
