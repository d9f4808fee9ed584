"""Output feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1), in-process against a real SQLite file.

Every document is read back with a strict XML parser and with feedparser (``bozo`` false);
JSON Feed is checked against ``tests/schemas/jsonfeed-1.1.json``, written from the spec.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, closing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import partial
from pathlib import Path

import feedparser
import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.stores import postgres_schema
from veille.ingest.parse.feed import parse
from veille.models import (
    Config,
    DigestSpec,
    EntryView,
    FeedSpec,
    ParsedEntry,
    Selection,
    TagRule,
    Validators,
)
from veille.render.feeds import (
    FeedMeta,
    alternate_links,
    authority_of,
    item_id,
    render_atom,
    render_rss,
)
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

BASE = "https://veille.example.org"
HOST = "veille.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.json").read_text())
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

CONFIG = Config(
    path="feeds.yaml",
    feeds=(
        FeedSpec("cafe", "https://cafe.example/feed", title="Le Café pédagogique"),
        FeedSpec("ludo", "https://ludo.example/feed", tags=("ludique",)),
        FeedSpec("pirate", "https://pirate.example/feed"),
    ),
    tags=(
        TagRule("evaluation", "Évaluation", match=("évaluation", "Plickers", "Kahoot")),
        TagRule("ia", "Intelligence artificielle", match=("IA", "intelligence artificielle")),
    ),
    digests=(
        DigestSpec("quotidien", "La veille du jour", window=timedelta(days=1)),
        DigestSpec("hebdo", "La semaine", window=timedelta(days=7), tags=("evaluation",), feeds=()),
    ),
)

HOSTILE_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Pirate</title><link>https://pirate.example/</link>
<item><title>Évaluation &lt;script&gt;alert(1)&lt;/script&gt; piégée</title>
<link>https://pirate.example/1</link><guid>pirate-1</guid>
<pubDate>{date}</pubDate>
<description>&lt;p onclick="alert(2)"&gt;Bonjour&lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt;
&lt;img src="javascript:alert(4)"&gt;&lt;a href="javascript:alert(5)"&gt;lien&lt;/a&gt;
&lt;iframe src="https://evil.example/"&gt;&lt;/iframe&gt;&lt;style&gt;body{{}}&lt;/style&gt;</description>
</item></channel></rss>"""


def _entry(key: str, title: str, hours_ago: float, now: datetime, **kw: str) -> ParsedEntry:
    return ParsedEntry(
        key=key,
        guid=key,
        url=f"https://news.example/{key}",
        title=title,
        summary_html=f"<p>Résumé de « {title} »</p>",
        content_html=f"<p>Contenu <b>complet</b> de « {title} » &amp; plus.</p>",
        published=now - timedelta(hours=hours_ago),
        **kw,  # type: ignore[arg-type]
    )


def populate(store: Store, now: datetime) -> None:
    """Six entries: one shared by the themes evaluation and ia, one hostile, one old."""
    rules = RuleSet.from_config(CONFIG)
    store.sync_feeds(CONFIG.feeds)
    save = partial(store.save_entries, now=now)
    save(
        "cafe",
        [
            _entry("cafe-1", "Plickers en classe", 2, now),
            _entry("cafe-2", "L'IA au service de l'évaluation", 3, now),  # both themes
            _entry("cafe-3", "Une vieille nouvelle", 24 * 3, now),  # outside quotidien
        ],
        tagger=partial(rules.tag_entry, "cafe"),
    )
    save(
        "ludo",
        [
            _entry("ludo-1", "Kahoot ou Quizinière ?", 4, now),
            _entry("ludo-2", "Contrôle\x01 caractères\x0b interdits\x1f", 5, now),
        ],
        tagger=partial(rules.tag_entry, "ludo"),
    )
    body = HOSTILE_RSS.format(date=format_datetime(now - timedelta(hours=1))).encode()
    hostile = parse("https://pirate.example/feed", body, {}, now)
    save("pirate", hostile.entries, tagger=partial(rules.tag_entry, "pirate"))
    for feed in ("cafe", "ludo", "pirate"):
        store.record_success(feed, now=now, next_fetch_at=now, validators=Validators())


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    populate(store, datetime.now(UTC))
    with TestClient(create_app(Settings(base_url=BASE + "/"), store, CONFIG)) as c:
        yield c


def get(client: TestClient, url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    r = client.get(url, headers={"accept-encoding": "identity", **headers})
    return r.status_code, r.content, dict(r.headers)


def ids_of(client: TestClient, url: str) -> list[str]:
    _, body, _ = get(client, url)
    if url.split("?")[0].endswith(".json"):
        return [i["id"] for i in json.loads(body)["items"]]
    return [e.id for e in feedparser.parse(body).entries]


PATHS = ["/digests/quotidien", "/digests/hebdo", "/tags/evaluation", "/tags/ludique", "/feed"]


@pytest.mark.parametrize("path", PATHS)
def test_every_feed_parses_strictly_and_with_feedparser(client: TestClient, path: str) -> None:
    for ext, mime, version in (
        ("rss", "application/rss+xml; charset=utf-8", "rss20"),
        ("atom", "application/atom+xml; charset=utf-8", "atom10"),
    ):
        status, body, headers = get(client, f"{path}.{ext}")
        assert status == 200 and headers["content-type"] == mime
        ET.fromstring(body)  # strict: raises on any well-formedness error
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version and parsed.entries
    status, body, headers = get(client, f"{path}.json")
    assert status == 200 and headers["content-type"] == "application/feed+json; charset=utf-8"
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["items"]


def test_rss_follows_the_standard(client: TestClient) -> None:
    _, body, headers = get(client, "/feed.rss?feed=cafe&feed=ludo&limit=3")
    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("rel") == "self"
    assert self_link.get("href") == f"{BASE}/feed.rss?feed=cafe&feed=ludo&limit=3"
    assert self_link.get("type") == "application/rss+xml"
    assert channel.findtext("language") == "fr"
    assert channel.findtext("generator", "").startswith("veille")
    assert RFC822.match(channel.findtext("lastBuildDate", ""))
    items = channel.findall("item")
    assert len(items) == 3
    for item in items:
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert (guid.text or "").startswith("tag:veille.example.org,2026:")
        assert RFC822.match(item.findtext("pubDate", ""))
        assert "<b>complet</b>" in item.findtext(CONTENT, "")  # HTML as escaped text
        assert item.findtext("link", "").startswith("https://news.example/")
    dates = [parsedate_to_datetime(i.findtext("pubDate", "")) for i in items]
    assert dates == sorted(dates, reverse=True)
    # The channel's date is its last change (entries first seen now, published hours ago).
    assert channel.findtext("lastBuildDate") == headers["last-modified"]
    assert parsedate_to_datetime(headers["last-modified"]) > dates[0]


def test_atom_follows_the_standard(client: TestClient) -> None:
    _, body, _ = get(client, "/tags/evaluation.atom")
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == f"{BASE}/tags/evaluation.atom"
    assert RFC3339.match(feed.findtext(f"{ATOM}updated", ""))
    assert feed.findtext(f"{ATOM}author/{ATOM}name")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": f"{BASE}/tags/evaluation.atom", "alternate": f"{BASE}/?tag=evaluation"}
    assert feed.findtext(f"{ATOM}title") == "Veille — Évaluation"
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert (entry.findtext(f"{ATOM}id") or "").startswith("tag:")
        assert RFC3339.match(entry.findtext(f"{ATOM}updated", ""))
        assert RFC3339.match(entry.findtext(f"{ATOM}published", ""))
        assert entry.findtext(f"{ATOM}author/{ATOM}name")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None and summary.get("type") == "html"
        categories = {c.get("term"): c.get("label") for c in entry.findall(f"{ATOM}category")}
        assert categories["evaluation"] == "Évaluation"  # the id as term, the name as label


def test_jsonfeed_follows_the_standard(client: TestClient) -> None:
    _, body, _ = get(client, "/digests/quotidien.json")
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == f"{BASE}/digests/quotidien.json"
    assert doc["home_page_url"] == f"{BASE}/digests/quotidien"
    assert doc["language"] == "fr" and doc["title"] == "La veille du jour"
    by_title = {i["title"]: i for i in doc["items"]}
    item = by_title["L'IA au service de l'évaluation"]
    assert item["authors"] == [{"name": "Le Café pédagogique"}]
    # Readers show tags as they are: the themes' names, not their ids.
    assert sorted(item["tags"]) == ["Intelligence artificielle", "Évaluation"]
    assert item["summary"] == "Résumé de « L'IA au service de l'évaluation »"  # plain text
    assert "<b>complet</b>" in item["content_html"]
    assert "Une vieille nouvelle" not in by_title  # the quotidien window is one day


def test_item_ids_are_the_same_in_every_format_and_every_theme(client: TestClient) -> None:
    shared = item_id(HOST, "cafe", "cafe-2")
    assert shared.startswith("tag:veille.example.org,2026:cafe/")
    per_feed = {
        url: ids_of(client, url)
        for url in (
            "/tags/evaluation.rss",
            "/tags/evaluation.atom",
            "/tags/evaluation.json",
            "/tags/ia.rss",
            "/tags/ia.atom",
            "/tags/ia.json",
            "/digests/quotidien.rss",
            "/feed.json?feed=cafe",
        )
    }
    for url, ids in per_feed.items():
        assert shared in ids, url
        assert len(ids) == len(set(ids)), url
    for theme in ("evaluation", "ia"):
        formats = [per_feed[f"/tags/{theme}.{ext}"] for ext in ("rss", "atom", "json")]
        assert formats[0] == formats[1] == formats[2]


def test_item_ids_survive_a_database_copy(tmp_path: Path, client: TestClient) -> None:
    """Ids come from (feed, key), not from the row id: another database, filled in another
    order, gives the same ids."""
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other.migrate()
    try:
        other.sync_feeds(CONFIG.feeds)
        now = datetime.now(UTC)
        other.save_entries("pirate", [_entry("p-0", "Autre chose", 1, now)], now=now)
        populate(other, now)
        with TestClient(create_app(Settings(base_url=BASE), other, CONFIG)) as c2:
            assert set(ids_of(client, "/feed.rss?feed=cafe")) == set(
                ids_of(c2, "/feed.rss?feed=cafe")
            )
    finally:
        other.close()


def test_hostile_entries_give_wellformed_inert_outputs(client: TestClient) -> None:
    for ext in ("rss", "atom", "json"):
        status, body, _ = get(client, f"/feed.{ext}?feed=pirate&feed=ludo")
        assert status == 200
        text = body.decode("utf-8")
        assert not CONTROLS.search(text.replace("\n", "").replace("\t", "").replace("\r", ""))
        if ext == "json":
            items = json.loads(body)["items"]
            html = " ".join(i["title"] + i["content_html"] + i.get("summary", "") for i in items)
        else:
            root = ET.fromstring(body)  # well-formed despite the payloads
            # No markup leaked into the document structure: every element is a feed element.
            assert not {el.tag for el in root.iter()} & {"script", "iframe", "img", "a", "p"}
            assert not feedparser.parse(body).bozo
            # What a reader gets once the XML is decoded (feedparser would sanitise again:
            # look at the raw text instead).
            html = " ".join(root.itertext())
        lowered = html.lower()
        for needle in ("<script", "javascript:", "onclick", "<iframe", "<style"):
            assert needle not in lowered, (ext, needle)
        assert "Contrôle caractères interdits" in html
        assert "Évaluation piégée" in html  # the title is plain text, the script dropped
        assert "Bonjour" in html


def test_conditional_get_answers_304_without_body(client: TestClient) -> None:
    for url in ("/digests/quotidien.rss", "/tags/ia.atom", "/feed.json?feed=cafe"):
        status, body, headers = get(client, url)
        assert status == 200 and body
        etag, last_modified = headers["etag"], headers["last-modified"]
        assert headers["cache-control"] == "public, max-age=300"
        assert parsedate_to_datetime(last_modified).tzinfo is not None

        status, body, h304 = get(client, url, **{"if-none-match": etag})
        assert status == 304 and body == b""
        assert h304["etag"] == etag and h304.get("content-length", "0") == "0"

        status, body, _ = get(client, url, **{"if-modified-since": last_modified})
        assert status == 304 and body == b""

        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        status, body, _ = get(
            client, url, **{"if-none-match": '"autre"', "if-modified-since": last_modified}
        )
        assert status == 200 and body
        old = format_datetime(parsedate_to_datetime(last_modified) - timedelta(hours=1))
        status, body, _ = get(client, url, **{"if-modified-since": old})
        assert status == 200 and body
        status, _, _ = get(client, url, **{"if-modified-since": "pas une date"})
        assert status == 200


def test_etag_follows_the_content(client: TestClient) -> None:
    _, _, a = get(client, "/feed.rss?feed=cafe")
    _, _, b = get(client, "/feed.rss?feed=cafe")
    _, _, c = get(client, "/feed.rss?feed=ludo")
    assert a["etag"] == b["etag"] != c["etag"]


def test_gzip_when_asked(client: TestClient) -> None:
    r = client.get("/digests/quotidien.rss", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    ET.fromstring(r.content)  # httpx decoded it
    raw = client.get("/digests/quotidien.rss", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert gzip.decompress(gzip.compress(raw.content)) == r.content


def test_limit_bounds(client: TestClient) -> None:
    for bad in ("0", "201", "-1", "beaucoup"):
        for url in (f"/feed.rss?limit={bad}", f"/tags/ia.atom?limit={bad}"):
            r = client.get(url)
            assert r.status_code == 400, url
            assert r.json()["detail"].startswith("limit : ")
    assert len(ids_of(client, "/feed.rss?limit=200")) == 6
    assert len(ids_of(client, "/feed.atom?limit=1")) == 1
    assert len(ids_of(client, "/digests/quotidien.json?limit=2")) == 2


def test_unknown_names_and_bad_filters(client: TestClient) -> None:
    for url in ("/digests/inconnue.rss", "/tags/inconnu.json"):
        r = client.get(url)
        assert r.status_code == 404 and "inconnu" in r.json()["detail"]
    for url, word in (
        ("/feed.rss?tag=inconnu", "thème inconnu"),
        ("/feed.rss?exclude_tag=nope", "thème inconnu"),
        ("/feed.atom?feed=nulle-part", "source inconnue"),
        ("/feed.json?since=hier", "date invalide"),
    ):
        r = client.get(url)
        assert r.status_code == 400 and word in r.json()["detail"], url


def test_filters_select(client: TestClient) -> None:
    only_ludo = json.loads(get(client, "/feed.json?feed=ludo")[1])["items"]
    assert {i["authors"][0]["name"] for i in only_ludo} == {"ludo"}
    no_eval = json.loads(get(client, "/feed.json?exclude_tag=evaluation")[1])["items"]
    assert all("Évaluation" not in i["tags"] for i in no_eval) and no_eval
    hebdo = json.loads(get(client, "/digests/hebdo.json")[1])["items"]
    assert "Une vieille nouvelle" not in {i["title"] for i in hebdo}
    assert all("Évaluation" in i["tags"] for i in hebdo)


def test_empty_feed_is_still_valid(client: TestClient) -> None:
    for ext in ("rss", "atom", "json"):
        status, body, headers = get(client, f"/feed.{ext}?since=2099-01-01")
        assert status == 200  # dated by the last refresh: stable between requests
        assert parsedate_to_datetime(headers["last-modified"]) <= datetime.now(UTC)
        if ext == "json":
            doc = json.loads(body)
            jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
            assert doc["items"] == []
        else:
            ET.fromstring(body)
            parsed = feedparser.parse(body)
            assert not parsed.bozo and not parsed.entries
        again = get(client, f"/feed.{ext}?since=2099-01-01", **{"if-none-match": headers["etag"]})
        assert again[0] == 304  # stable bytes: the date is the last refresh, not "now"


# --- the pure renderer --------------------------------------------------------------------------


def _view(**kw: object) -> EntryView:
    fields: dict[str, object] = {
        "id": "1",
        "feed": "cafe",
        "feed_title": "Le Café",
        "title": "Titre",
        "url": None,
        "published": datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
        "summary": "",
        "content_html": "",
        "key": "k",
    }
    return EntryView(**(fields | kw))  # type: ignore[arg-type]


def test_renderers_are_pure_and_defensive() -> None:
    meta = FeedMeta(title="T\x00itre", home_url=BASE, self_url=BASE + "/f", id_authority=HOST)
    nasty = _view(title="A\x02B\ud800C\ufffe", content_html="<p>x\x1b</p>", author="Moi\x07")
    for render in (render_rss, render_atom):
        body = render(meta, [nasty])
        assert body == render(meta, [nasty])  # no clock, no randomness
        root = ET.fromstring(body)
        assert "ABC" in ET.tostring(root, encoding="unicode")
        assert not feedparser.parse(body).bozo
    # No link, no summary: still valid RSS (guid only) and Atom (content only).
    parsed = feedparser.parse(render_rss(meta, [_view()]))
    assert not parsed.bozo and parsed.entries[0].id == item_id(HOST, "cafe", "k")


def test_item_id_shape() -> None:
    assert authority_of("http://127.0.0.1:8000/") == authority_of("http://127.0.0.1") == "127.0.0.1"
    assert item_id(HOST, "cafe", "k") != item_id(HOST, "ludo", "k")
    assert re.fullmatch(
        r"tag:veille\.example\.org,2026:cafe/[0-9a-f]{16}", item_id(HOST, "cafe", "k")
    )


def test_alternate_links() -> None:
    assert alternate_links("digest", "quotidien", title="La veille du jour") == [
        ("application/rss+xml", "RSS — La veille du jour", "/digests/quotidien.rss"),
        ("application/atom+xml", "Atom — La veille du jour", "/digests/quotidien.atom"),
        ("application/feed+json", "JSON Feed — La veille du jour", "/digests/quotidien.json"),
    ]
    assert alternate_links("tag", "ia", base_url=BASE + "/")[0][2] == f"{BASE}/tags/ia.rss"
    links = alternate_links("filter", [("tag", "ia"), ("q", "l'évaluation")])
    assert links[1] == ("application/atom+xml", "Atom", "/feed.atom?tag=ia&q=l%27%C3%A9valuation")
    assert alternate_links("filter", [])[2][2] == "/feed.json"


# --- validators: they move whenever the content does ---------------------------------------------

FORMATS_EXT = ("rss", "atom", "json")


def validators_of(client: TestClient, url: str) -> dict[str, str]:
    _, _, headers = get(client, url)
    return {"if-none-match": headers["etag"], "if-modified-since": headers["last-modified"]}


def assert_changed_for_old_validators(client: TestClient, url: str, old: dict[str, str]) -> None:
    """Each old validator alone, and both together, get the new content (200)."""
    for sent in (
        {"if-none-match": old["if-none-match"]},
        {"if-modified-since": old["if-modified-since"]},
        old,
    ):
        status, _, headers = get(client, url, **sent)
        assert status == 200, (url, sent)
        assert parsedate_to_datetime(headers["last-modified"]) > parsedate_to_datetime(
            old["if-modified-since"]
        ), url


@pytest.mark.parametrize("ext", FORMATS_EXT)
def test_a_late_article_with_an_older_date_changes_the_validators(
    store: Store, client: TestClient, ext: str
) -> None:
    urls = [f"/digests/hebdo.{ext}", f"/tags/evaluation.{ext}", f"/feed.{ext}?feed=cafe"]
    before = {url: validators_of(client, url) for url in urls}
    for url, old in before.items():  # unchanged content: 304 for each validator
        assert get(client, url, **{"if-none-match": old["if-none-match"]})[0] == 304
        assert get(client, url, **{"if-modified-since": old["if-modified-since"]})[0] == 304

    # Fetched a few seconds later, published 10 hours ago: older than the newest entries.
    later = datetime.now(UTC) + timedelta(seconds=2)
    late = _entry("cafe-late", "Une évaluation publiée hier, récupérée ce matin", 10, later)
    rules = RuleSet.from_config(CONFIG)
    store.save_entries("cafe", [late], now=later, tagger=partial(rules.tag_entry, "cafe"))
    for url, old in before.items():
        assert_changed_for_old_validators(client, url, old)
        assert "récupérée ce matin" in get(client, url)[1].decode()


def test_curation_changes_the_validators_of_the_digest_feeds(
    store: Store, client: TestClient
) -> None:
    url = "/digests/quotidien.rss"
    shown = feedparser.parse(get(client, url)[1]).entries
    old = validators_of(client, url)
    victim = next(e for e in shown if "Plickers" in e.title)
    entry_id = _entry_id(store, "cafe-1")
    assert store.hide_entry("quotidien", entry_id, datetime.now(UTC) + timedelta(seconds=2))
    assert_changed_for_old_validators(client, url, old)
    assert victim.id not in ids_of(client, url)
    old = validators_of(client, url)
    assert store.unhide_entry("quotidien", entry_id, datetime.now(UTC) + timedelta(seconds=4))
    assert_changed_for_old_validators(client, url, old)
    assert victim.id in ids_of(client, url)


# --- ids: their authority is the store's, never the public address of the day -------------------


def test_item_ids_keep_their_authority_when_the_public_address_changes(
    store: Store, client: TestClient
) -> None:
    first = {url: ids_of(client, url) for url in ("/tags/evaluation.rss", "/feed.json")}
    assert all(i.startswith(f"tag:{HOST},2026:") for ids in first.values() for i in ids)
    # The deployment moves to its real address; the store is reopened (no cached authority).
    moved = Store(store.url)
    try:
        settings = Settings(base_url="https://veille.ac-poitiers.fr/")
        with TestClient(create_app(settings, moved, CONFIG)) as c2:
            for url, ids in first.items():
                assert ids_of(c2, url) == ids, url
            body = get(c2, "/tags/evaluation.atom")[1].decode()
            assert "https://veille.ac-poitiers.fr/tags/evaluation.atom" in body  # links move
    finally:
        moved.close()


@pytest.mark.parametrize("target_backend", ["sqlite", "postgresql"])
def test_a_database_copy_keeps_the_id_authority(
    tmp_path: Path, client: TestClient, target_backend: str
) -> None:
    ids = ids_of(client, "/feed.rss?feed=cafe")
    source = client.app.state.store  # type: ignore[attr-defined]
    with ExitStack() as stack:
        if target_backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'copy.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        target = stack.enter_context(closing(Store(url)))
        target.migrate()
        target.id_authority("test.example")  # the target was started once before the copy
        source.copy_to(target)
        fresh = stack.enter_context(closing(Store(target.url)))
        with TestClient(create_app(Settings(base_url="http://autre.example"), fresh, CONFIG)) as c2:
            assert ids_of(c2, "/feed.rss?feed=cafe") == ids


# --- hidden stories: left out of every output of the digest, before the limit ---------------------


def _entry_id(store: Store, key: str) -> str:
    page = store.list_entries(Selection(limit=500))
    return next(e.id for e in page.entries if e.key == key)


def test_a_hidden_story_leaves_every_output_of_its_digest(store: Store, client: TestClient) -> None:
    store.hide_entry("hebdo", _entry_id(store, "cafe-2"), datetime.now(UTC))
    hidden_id = item_id(HOST, "cafe", "cafe-2")
    for ext in FORMATS_EXT:
        assert hidden_id not in ids_of(client, f"/digests/hebdo.{ext}"), ext
        assert item_id(HOST, "cafe", "cafe-1") in ids_of(client, f"/digests/hebdo.{ext}")
        # Other digests and themes are not curated by the hebdo editors.
        assert hidden_id in ids_of(client, f"/digests/quotidien.{ext}"), ext
        assert hidden_id in ids_of(client, f"/tags/ia.{ext}"), ext
    page = client.get("/digests/hebdo").text
    assert "service de l&#39;évaluation" not in page and "Plickers en classe" in page


def test_hidden_stories_do_not_shorten_a_feed(store: Store, client: TestClient) -> None:
    """Hidden entries are left out in SQL: a feed of 2 still carries 2 entries."""
    first_two = ids_of(client, "/digests/hebdo.rss?limit=2")
    assert len(first_two) == 2
    store.hide_entry("hebdo", _entry_id(store, "cafe-1"), datetime.now(UTC))
    store.hide_entry("hebdo", _entry_id(store, "cafe-2"), datetime.now(UTC))
    after = ids_of(client, "/digests/hebdo.rss?limit=2")
    assert len(after) == 2 and not set(after) & {
        item_id(HOST, "cafe", "cafe-1"),
        item_id(HOST, "cafe", "cafe-2"),
    }


def test_digest_feeds_follow_the_apps_clock(store: Store) -> None:
    """One clock for every route: a digest feed's window ends at the app's ``now``."""
    later = datetime.now(UTC) + timedelta(days=2)
    populate(store, datetime.now(UTC))
    app = create_app(Settings(base_url=BASE + "/"), store, CONFIG)
    app.state.clock = lambda: later
    with TestClient(app) as c:
        # quotidien (1 day): two days later, nothing of today's entries is in its window.
        assert ids_of(c, "/digests/quotidien.rss") == []
        assert ids_of(c, "/digests/hebdo.rss")  # a week: still there
