"""The Google Reader API's vocabulary and shapes (``/api/greader``) — pure.

What crosses the wire, in both directions: item ids (the long ``tag:google.com,2005:reader/
item/%016x`` form and the short decimal one, both read), stream ids (``user/-/state/
com.google/reading-list``, ``…/starred``, ``…/read``, ``feed/<source>``, ``user/-/label/
<label>``), timestamps in seconds, milliseconds, microseconds or nanoseconds, and the JSON
of items, subscriptions, labels and unread counts. Wrong input is a ``QueryError`` in
French (a 400, never a 500). The Atom variant read by newsboat is ``render/greader_atom.py``.

The names a client sees:

- a source (a feed of feeds.yaml) is the subscription ``feed/<its id>``; ``feed/<its URL>``
  is read too. Its categories (folders) are its configured ``tags:``; a source without
  tags has none (clients list it at the top level).
- a theme, a source's own tag and a digest are labels ``user/-/label/<shown name>``: the
  theme's label, the tag's name under ``labels:``, the digest's title (a digest whose title
  is already a theme's label is left out: the theme wins). The id of the tag or digest is
  read too.
- states are written ``user/-/…`` (what clients send back and compare), never with an id.

The context of these choices (which client does what) is in the README, « Lire sur son
téléphone ».
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from veille.errors import QueryError
from veille.limits import MAX_ID, check_date, parse_id
from veille.models import Config, EntryRef, EntryView, FeedSpec, FeedState

STATE = "user/-/state/com.google/"
READING_LIST = STATE + "reading-list"
READ = STATE + "read"
STARRED = STATE + "starred"
LABEL = "user/-/label/"
ITEM_PREFIX = "tag:google.com,2005:reader/item/"
MAX_STREAM = 2048  # characters of a stream id (a feed URL fits)

StreamKind = Literal["reading-list", "starred", "read", "feed", "label"]
# States clients send that change nothing here: « new » marks, sharing, liking.
IGNORED_STATES = frozenset({"fresh", "tracking-kept-unread", "broadcast", "broadcast-friends",
                            "like", "tracking-body-link-used", "tracking-emailed",
                            "tracking-item-link-used", "tracking-mobile-read"})  # fmt: skip
_STATE_ID = re.compile(r"user/(?:-|[0-9]{1,19})/state/com\.google/([a-z-]{1,40})")
_LABEL_ID = re.compile(r"user/(?:-|[0-9]{1,19})/label/(.+)", re.DOTALL)
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")
_DIGITS = re.compile(r"[0-9]{1,25}")


# --- item ids -----------------------------------------------------------------------------------


def long_id(entry_id: int | str) -> str:
    """``tag:google.com,2005:reader/item/000000000000002a``: what items carry."""
    return f"{ITEM_PREFIX}{int(entry_id):016x}"


def parse_item_id(text: str) -> int:
    """An entry id from any form clients send: the long one (hexadecimal after the prefix),
    16 bare hexadecimal digits (a leading zero or a letter tells them from a decimal id, as
    FreshRSS does) or the short decimal one."""
    value = text.strip()
    found: int | None = None
    if value.startswith(ITEM_PREFIX):
        digits = value[len(ITEM_PREFIX) :]
        found = int(digits, 16) if _HEX.fullmatch(digits) else None
    elif len(value) == 16 and _HEX.fullmatch(value) and (not value.isdigit() or value[0] == "0"):
        found = int(value, 16)
    else:
        found = parse_id(value)
    if found is None or not 0 < found <= MAX_ID:
        raise QueryError(f"i : identifiant d'article invalide « {value[:80]} »")
    return found


# --- stream ids ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stream:
    """A stream id as read: its kind and, for a feed or a label, the name given."""

    kind: StreamKind
    name: str = ""


def parse_stream(text: str, field: str = "s") -> Stream:
    """The stream a client names; QueryError (French) for one this server does not serve."""
    value = text.strip()
    if len(value) > MAX_STREAM:
        raise QueryError(f"{field} : identifiant de flux trop long")
    if (state := _STATE_ID.fullmatch(value)) is not None:
        name = state.group(1)
        if name in ("reading-list", "starred", "read"):
            return Stream(name)  # type: ignore[arg-type]
    elif (label := _LABEL_ID.fullmatch(value)) is not None:
        return Stream("label", label.group(1))
    elif value.startswith("feed/") and len(value) > 5:
        return Stream("feed", value[5:])
    raise QueryError(
        f"{field} : flux inconnu « {value[:120]} » (flux servis : {READING_LIST}, {STARRED}, "
        f"{READ}, feed/<source>, {LABEL}<libellé>)"
    )


def state_name(text: str) -> str | None:
    """``read`` for ``user/-/state/com.google/read`` (any user), None for another stream."""
    found = _STATE_ID.fullmatch(text.strip())
    return found.group(1) if found else None


def label_id(label: str) -> str:
    return LABEL + label


# --- timestamps ---------------------------------------------------------------------------------


def parse_timestamp(text: str, field: str) -> datetime:
    """A Unix time as clients send it: seconds, or milliseconds, microseconds (Google
    Reader's ``ts``) or nanoseconds, told apart by their number of digits."""
    value = text.strip()
    if not _DIGITS.fullmatch(value):
        raise QueryError(f"{field} : horodatage Unix attendu, pas « {value[:40]} »")
    digits = len(value.lstrip("0"))
    scale = 1e9 if digits >= 17 else 1e6 if digits >= 14 else 1e3 if digits >= 12 else 1
    seconds = int(value) / scale
    if seconds > 2**33:  # beyond 2242: outside any date limits allow, before converting
        raise QueryError(f"{field} : horodatage hors limites « {value} »")
    return check_date(datetime.fromtimestamp(seconds, UTC), field)


def usec(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def _stamp(when: datetime | None) -> str:
    """Microseconds as a string (what Google Reader sent), ``"0"`` for none."""
    return str(usec(when)) if when else "0"


# --- what the configuration names ---------------------------------------------------------------

LabelTarget = tuple[Literal["tag", "digest"], str]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The sources and labels of a configuration, as the API names them."""

    feeds: tuple[FeedSpec, ...]
    labels: Mapping[str, LabelTarget]  # shown label -> tag or digest
    tag_labels: Mapping[str, str]  # tag -> shown label
    folders: frozenset[str]  # tags that sources carry (categories of subscriptions)

    @classmethod
    def of(cls, config: Config) -> Catalog:
        tag_labels = config.tag_labels()
        labels: dict[str, LabelTarget] = {}
        for tag, shown in tag_labels.items():
            labels.setdefault(shown, ("tag", tag))
        for digest in config.digests:
            labels.setdefault(digest.title, ("digest", digest.name))
        folders = frozenset(t for f in config.feeds for t in f.tags)
        return cls(config.feeds, labels, tag_labels, folders)

    def feed_id(self, name: str) -> str | None:
        """The source ``name`` designates: its id, or its URL."""
        for feed in self.feeds:
            if name in (feed.id, feed.url):
                return feed.id
        return None

    def label(self, name: str) -> LabelTarget | None:
        """The tag or digest of a label: by its shown name, else by its id (a theme's, then
        a digest's), else by its shown name whatever the case."""
        if name in self.labels:
            return self.labels[name]
        targets = list(self.labels.values())
        for target in targets:
            if target[1] == name:
                return target
        folded = {shown.casefold(): target for shown, target in self.labels.items()}
        return folded.get(name.casefold())

    def shown(self, tag: str) -> str:
        return self.tag_labels.get(tag, tag)


# --- JSON shapes --------------------------------------------------------------------------------


def item_json(e: EntryView, catalog: Catalog, sites: Mapping[str, str]) -> dict[str, Any]:
    """One item of ``stream/contents`` and ``stream/items/contents``. ``timestampUsec`` and
    ``crawlTimeMsec`` are when the store first saw the entry (what ``ot`` filters on);
    ``published`` its date. The whole text is in ``summary.content``, where the tested
    clients read it."""
    arrived = e.arrived or e.published
    return {
        "id": long_id(e.id),
        "crawlTimeMsec": str(usec(arrived) // 1000),
        "timestampUsec": str(usec(arrived)),
        "published": int(e.published.timestamp()),
        "updated": int(e.published.timestamp()),
        "title": e.title,
        "author": e.author or "",
        "canonical": [{"href": e.url}] if e.url else [],
        "alternate": [{"href": e.url, "type": "text/html"}] if e.url else [],
        "summary": {"direction": "ltr", "content": e.content_html or e.summary},
        "categories": categories(e, catalog),
        "origin": {
            "streamId": f"feed/{e.feed}",
            "title": e.feed_title,
            "htmlUrl": sites.get(e.feed, ""),
        },
    }


def categories(e: EntryView, catalog: Catalog) -> list[str]:
    """The states of an entry for its reader, then its labels."""
    found = [READING_LIST]
    if e.read:
        found.append(READ)
    if e.starred:
        found.append(STARRED)
    return found + [label_id(catalog.shown(t)) for t in e.tags]


def stream_json(
    stream_id: str,
    title: str,
    items: Sequence[dict[str, Any]],
    continuation: str | None,
    now: datetime,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "direction": "ltr",
        "id": stream_id,
        "title": title,
        "updated": int(now.timestamp()),
        "items": list(items),
    }
    if continuation:
        body["continuation"] = continuation
    return body


def item_refs_json(entries: Sequence[EntryRef], continuation: str | None) -> dict[str, Any]:
    """``stream/items/ids``: short (decimal) ids, as Google Reader gave them."""
    body: dict[str, Any] = {
        "itemRefs": [
            {"id": e.id, "directStreamIds": [], "timestampUsec": _stamp(e.arrived)} for e in entries
        ]
    }
    if continuation:
        body["continuation"] = continuation
    return body


def subscription_json(feed: FeedSpec, state: FeedState | None, catalog: Catalog) -> dict[str, Any]:
    return {
        "id": f"feed/{feed.id}",
        "title": state.title if state else feed.title or feed.id,
        "categories": [
            {"id": label_id(catalog.shown(t)), "label": catalog.shown(t), "type": "folder"}
            for t in feed.tags
        ],
        "url": feed.url,
        "htmlUrl": (state.site_url if state else None) or feed.url,
        "iconUrl": "",
    }


def tags_json(catalog: Catalog) -> dict[str, Any]:
    """``tag/list``: the starred state, then every label. Only the keys ``id``, ``label``
    and ``type`` (a client library builds an object from exactly these); ``folder`` for
    the tags that sources carry, ``tag`` for themes and digests."""
    tags: list[dict[str, str]] = [{"id": STARRED}]
    for shown, (kind, name) in catalog.labels.items():
        folder = kind == "tag" and name in catalog.folders
        tags.append({"id": label_id(shown), "label": shown, "type": "folder" if folder else "tag"})
    return {"tags": tags}


def unread_count_json(
    by_feed: Mapping[str, tuple[int, datetime | None]],
    by_label: Mapping[str, int],
    total: int,
) -> dict[str, Any]:
    """``unread-count``. A label's ``newestItemTimestampUsec`` is the newest unread entry of
    all (an upper bound: a client that refetches when it moves never misses one)."""
    newest = max((when for _, when in by_feed.values() if when), default=None)
    stamp = _stamp(newest)
    counts = [
        {"id": f"feed/{feed}", "count": count, "newestItemTimestampUsec": _stamp(when)}
        for feed, (count, when) in by_feed.items()
        if count
    ]
    counts += [
        {"id": label_id(label), "count": count, "newestItemTimestampUsec": stamp}
        for label, count in by_label.items()
        if count
    ]
    counts.append({"id": READING_LIST, "count": total, "newestItemTimestampUsec": stamp})
    return {"max": total, "unreadcounts": counts}
