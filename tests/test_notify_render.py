"""The announcements' three forms (plain text, Markdown, Matrix HTML): pure, table-driven."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from veille.render.email import MailEntry, MailSection
from veille.render.notify import (
    MATRIX_TAGS,
    Notice,
    NoticeGroup,
    NoticeItem,
    daily_notice,
    markdown,
    matrix_html,
    plain_text,
)

HOSTILE = "<script>alert(1)</script> *gras* _it_ [lien](javascript:alert(1)) `code` & « fin »"


def mail_entry(i: int, title: str = "", url: str | None = "https://a.example/x") -> MailEntry:
    return MailEntry(str(i), title or f"Article {i}", url, "Source", "30 nov. 2026")


def section(label: str, n: int) -> MailSection:
    entries = tuple(mail_entry(i) for i in range(n))
    return MailSection(label.lower(), label, entries, n + 2)  # 2 more than listed in the issue


def notice(title: str = HOSTILE, url: str | None = "https://a.example/1?x=1&y=2") -> Notice:
    item = NoticeItem("1", title, url, "La <Source>", note="**à lire**")
    return Notice(
        heading="Titre — n° 3",
        lead="3 articles.",
        groups=(NoticeGroup("Coups de cœur", (item,), 1),),
        link_label="Lire",
        link_url="https://veille.example/archive/3",
        counts=(("IA", 2),),
    )


@pytest.mark.parametrize(
    ("sizes", "budget", "shown"),
    [
        ((5, 5, 5), 4, (2, 1, 1)),  # every theme's first article before any second one
        ((1, 5, 0), 4, (1, 3)),  # a small theme leaves its lines to the others
        ((2, 2), 10, (2, 2)),  # fewer articles than lines
        ((3,), 1, (1,)),
    ],
)
def test_lines_are_shared_among_themes(
    sizes: tuple[int, ...], budget: int, shown: tuple[int, ...]
) -> None:
    sections = [section(f"T{i}", n) for i, n in enumerate(sizes)]
    n = daily_notice(
        sections, title="Veille", day_label="30 nov.", web_url="https://v/", max_entries=budget
    )
    assert tuple(len(g.items) for g in n.groups) == shown
    assert n.more == sum(s.total for s in sections) - sum(shown)


def test_daily_wording() -> None:
    one = daily_notice([section("IA", 1)], title="Veille", day_label="1er déc.", web_url="https://v/",
                       max_entries=5)  # fmt: skip
    assert one.lead == "3 nouveaux articles en 24 heures."
    assert "… et 2 autres articles." in plain_text(one)
    single = MailSection("ia", "IA", (mail_entry(1),), 1)
    n = daily_notice(
        [single], title="Veille", day_label="1er déc.", web_url="https://v/", max_entries=5
    )
    assert n.lead == "1 nouvel article en 24 heures."
    assert "autre" not in plain_text(n)


def test_markdown_escapes_what_a_feed_writes() -> None:
    text = markdown(notice())
    line = next(line for line in text.splitlines() if line.startswith("- "))
    assert line == (
        r"- [\<script\>alert\(1\)\</script\> \*gras\* \_it\_ \[lien\]\(javascript:alert\(1\)\) "
        r"\`code\` & « fin »](<https://a.example/1?x=1&y=2>) — La \<Source\>"
    )
    assert r"  _\*\*à lire\*\*_" in text


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://a.example/1?x=1&y=2", True),
        ("http://a.example/1", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        (None, False),
    ],
)
def test_matrix_html_is_text_and_allowed_tags(url: str | None, linked: bool) -> None:
    html = matrix_html(notice(url=url))
    parsed = Collect()
    parsed.feed(html)
    assert set(parsed.tags) <= MATRIX_TAGS
    assert "script" not in parsed.tags
    assert HOSTILE in "".join(parsed.text)  # the title, whole, as text
    assert (url in parsed.hrefs) is linked
    assert parsed.hrefs[-1] == "https://veille.example/archive/3"
    assert (f"\n  {url}\n" in plain_text(notice(url=url))) is linked  # its own line
