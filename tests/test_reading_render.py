"""A logged-in reader's state on the pages, rendered (pure): marks, forms, counts, and the
public page unchanged without a reader."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from veille.models import EntryView, UneLine
from veille.render import digest_page, html, reading_pages

from .browser import NOW
from .test_pages import PARIS, Doc, page, view, words

READER = digest_page.ReaderBar(csrf="jeton-csrf", back="/?tag=ia", new_href="/?vue=nouveaux")


def build(entries: list[EntryView], **kw: Any) -> digest_page.DigestPage:
    return page(entries, **kw)


ENTRIES = [
    view("1", ("ia",), read=False),
    view("2", ("ia",), read=True, starred=True),
    view("3", ("evaluation",), read=False),
    view("4", (), read=True),
]


def test_unread_entries_are_marked_in_words_and_by_a_sign() -> None:
    doc = Doc(html.render_page(build(ENTRIES, reader=READER)))
    one, two = doc.by_id("e-1"), doc.by_id("e-2")
    assert words(one.text).startswith("●Non lu : Article 1")
    hidden = [c for c in one.children if c.attrs.get("class") == "visually-hidden"]
    sign = [c for c in one.children if c.attrs.get("class") == "unread-mark"]
    assert [h.text for h in hidden] == ["Non lu : "] and sign[0].attrs["aria-hidden"] == "true"
    assert "Non lu" not in two.text
    article = next(a for a in doc.all("article") if a.attrs.get("aria-labelledby") == "e-2")
    assert "is-read" in article.attrs["class"] and "gardé" in words(article.text)


def test_each_entry_has_its_forms_coming_back_to_its_anchor() -> None:
    doc = Doc(html.render_page(build(ENTRIES, reader=READER)))
    forms = [f for f in doc.all("form") if f.attrs.get("class") == "entry-actions"]
    assert len(forms) == 4 and all(f.attrs["method"] == "post" for f in forms)
    first = next(f for f in forms if any(i.attrs.get("value") == "1" for i in f.children))
    inputs = {i.attrs["name"]: i.attrs["value"] for i in first.children if i.tag == "input"}
    assert inputs == {"csrf": "jeton-csrf", "id": "1", "retour": "/?tag=ia#e-1"}
    buttons = [(b.attrs["value"], words(b.text)) for b in first.children if b.tag == "button"]
    assert buttons == [("lu", "Marquer comme lu"), ("garder", "Garder")]
    read_one = next(f for f in forms if any(i.attrs.get("value") == "2" for i in f.children))
    buttons = [(b.attrs["value"], words(b.text)) for b in read_one.children if b.tag == "button"]
    assert buttons == [("non-lu", "Marquer comme non lu"), ("ne-plus-garder", "Ne plus garder")]
    # Every button says which article it acts on (many buttons share their words).
    assert all(
        b.attrs["aria-describedby"].startswith("e-")
        for f in forms
        for b in f.children
        if b.tag == "button"
    )


def test_counts_of_unread_in_the_sommaire_sections_and_bar() -> None:
    p = build(ENTRIES, reader=READER)
    assert p.unread == ("3", "1") and [s.unread for s in p.sections] == [("3",), ("1",), ()]
    doc = Doc(html.render_page(p))
    toc = [words(li.text) for li in doc.all("li")]
    assert (
        "Évaluation 1, dont 1 non lu" in toc and "Intelligence artificielle 2, dont 1 non lu" in toc
    )
    assert "Autres 1" in toc  # nothing unread: no count
    assert words(doc.by_id("non-lus").text) == "2 articles non lus sur cette page."
    alls = [f for f in doc.all("form") if f.attrs.get("class") == "mark-all"]
    fields = [
        {i.attrs["name"]: i.attrs["value"] for i in f.children if i.tag == "input"} for f in alls
    ]
    assert [(f["ids"], f["retour"]) for f in fields] == [
        ("3,1", "/?tag=ia#contenu"),  # the page
        ("3", "/?tag=ia#s-evaluation"),  # each section with something unread
        ("1", "/?tag=ia#s-ia"),
    ]
    assert [a.attrs["href"] for a in doc.all("a") if "Nouveaux" in a.text] == ["/?vue=nouveaux"]


def test_everything_read_says_so_without_a_button() -> None:
    doc = Doc(html.render_page(build([replace(e, read=True) for e in ENTRIES], reader=READER)))
    assert words(doc.by_id("non-lus").text) == "Tout est lu sur cette page."
    assert not [f for f in doc.all("form") if f.attrs.get("class") == "mark-all"]


def test_une_and_highlights_take_the_state_of_the_pages_entries() -> None:
    # « À la une » and the editors' picks are looked up without a reader: their state comes
    # from the page's entries (the same entry, else the same story's read state).
    pick = view("9", ("ia",))
    top = view("5", ("ia",), cluster="c1")
    entries = [*ENTRIES, replace(pick, read=False), view("6", ("ia",), cluster="c1", read=False)]
    line = UneLine(entry=top, reason="repris par 2 sources", sources=("A", "B"), key="c1")
    p = build(entries, reader=READER, highlights=[pick], une=[line])
    assert p.highlights[0].read is False and p.une[0].entry.read is False
    doc = Doc(html.render_page(p))
    assert words(doc.by_id("ut-5").text).startswith("●Non lu :")
    une_form = next(
        f
        for f in doc.all("form")
        if any(i.attrs.get("value") == "/?tag=ia#une-5" for i in f.children)
    )
    assert une_form.attrs["action"] == "/lecture"


def test_without_a_reader_nothing_of_it_is_there() -> None:
    text = html.render_page(build([replace(e, read=None, starred=False) for e in ENTRIES]))
    for needle in ("Non lu", "entry-actions", "mark-all", "reader-bar", "non lus", "csrf", "gardé"):
        assert needle not in text


def test_titles_view_marks_unread_lines() -> None:
    doc = Doc(html.render_page(build(ENTRIES, reader=READER, compact=True)))
    unread = [words(li.text) for li in doc.all("li", class_="title-line is-unread")]
    read = [words(li.text) for li in doc.all("li", class_="title-line")]
    assert "●Non lu : Article 1 — Le Café" in unread and "Article 2 — Le Café" in read


def test_starred_and_account_pages() -> None:
    starred = reading_pages.build_starred_page(
        [view("2", ("ia",), read=True, starred=True)],
        total=1,
        labels={},
        now=NOW,
        tz=PARIS,
        tag_href=str,
        chrome=html.Chrome(),
        reader=replace(READER, back="/moi/gardes"),
        feeds=(html.Link("/moi/gardes.rss?jeton=t", "RSS"),),
    )
    doc = Doc(html.render_page(starred))
    assert words(doc.all("h1")[0].text) == "Mes articles gardés"
    assert words(doc.all("p", class_="lead")[0].text).startswith("1 article gardé")
    assert any(b.attrs.get("value") == "ne-plus-garder" for b in doc.all("button"))
    empty = Doc(html.render_page(replace(starred, entries=(), total=0)))
    assert "Aucun article gardé" in empty.all("p", class_="lead")[0].text
    account = reading_pages.AccountPage(
        chrome=html.Chrome(),
        name="marie",
        display_name="Marie Curie",
        role="lecteur",
        csrf="c",
        feeds=(html.Link("https://veille.example/moi/gardes.rss?jeton=t", "RSS"),),
        starred=3,
    )
    doc = Doc(html.render_page(account))
    assert "veille users api-password marie" in doc.all("pre")[0].text
    assert [f.attrs["action"] for f in doc.all("form")] == ["/deconnexion"]
    assert "https://veille.example/moi/gardes.rss?jeton=t" in words(
        doc.all("ul", class_="private-feeds")[0].text
    )


def test_the_new_view_says_since_when() -> None:
    from datetime import timedelta

    from veille.render import headline

    shown = headline.Shown(title="La veille du jour", total=3, shown=3, new=True, narrowed=True)
    since = NOW - timedelta(hours=5)
    assert headline.heading(shown) == "Nouveaux depuis ma dernière visite"
    assert headline.lead(replace(shown, arrived_since=since), PARIS) == (
        "3 articles arrivés depuis le 29 nov. 2026 à 04:00."
    )
    first = replace(shown, total=1, arrived_since=since, first_visit=True)
    assert headline.lead(first, PARIS) == (
        "Première visite : 1 article arrivé depuis le 29 nov. 2026 à 04:00."
    )
    assert headline.lead(replace(shown, total=0, arrived_since=since), PARIS) == (
        "Aucun article arrivé depuis le 29 nov. 2026 à 04:00."
    )
    themed = replace(shown, themes=("Évaluation",))
    assert headline.heading(themed) == "Nouveaux depuis ma dernière visite · Thème Évaluation"
