"""A stream as Google Reader's Atom (``/api/greader/reader/atom/<stream>``) — pure.

newsboat's « FeedHQ » mode (``urls-source "feedhq"``) reads every subscription through this
Atom view, not through the JSON streams: each entry's ``id`` is the long item id (newsboat
sends it back as ``i`` to ``edit-tag``), and its state travels as categories of the Google
Reader scheme whose ``label`` newsboat reads: ``read``, or ``fresh`` for an unread entry (so
an entry marked unread elsewhere becomes unread there too), ``starred``. Themes follow as
categories of their own (``term`` = the label stream).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from veille.models import EntryView
from veille.render.feeds import ATOM_NS, atom_entry, rfc3339, sub_element, xml_document
from veille.render.greader import READ, READING_LIST, STARRED, STATE, Catalog, label_id, long_id

SCHEME = "http://www.google.com/reader/"
GR_NS = "http://www.google.com/schemas/reader/atom/"
FRESH = STATE + "fresh"


def render_stream_atom(
    stream_id: str,
    title: str,
    entries: Sequence[EntryView],
    catalog: Catalog,
    continuation: str | None,
    now: datetime,
) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xmlns:gr": GR_NS})
    sub_element(feed, "id", f"tag:google.com,2005:reader/{stream_id}")
    sub_element(feed, "title", title, type="text")
    sub_element(feed, "updated", rfc3339(now))
    if continuation:
        sub_element(feed, "gr:continuation", continuation)
    for e in entries:
        entry = atom_entry(feed, long_id(e.id), e)
        states = [(READING_LIST, "reading-list"), (READ, "read") if e.read else (FRESH, "fresh")]
        if e.starred:
            states.append((STARRED, "starred"))
        for term, label in states:
            sub_element(entry, "category", term=term, scheme=SCHEME, label=label)
        for tag in e.tags:
            shown = catalog.shown(tag)
            sub_element(entry, "category", term=label_id(shown), label=shown)
        sub_element(entry, "summary", e.content_html or e.summary, type="html")
        source = sub_element(entry, "source")
        sub_element(source, "id", f"tag:google.com,2005:reader/feed/{e.feed}")
        sub_element(source, "title", e.feed_title, type="text")
    return xml_document(feed)
