"""The parameters of a Google Reader call, read once: every value of a name, from the query
and from a form body alike (clients put ``i``, ``s`` and ``T`` in either, and repeat them),
and a stream with its options as the one ``Selection`` the store runs.

Stream options: ``n`` (page size, at most ``MAX_ENTRIES``: a larger one — NetNewsWire asks
for 10 000 ids — gets a continuation instead of an error), ``c`` (the continuation: the
store's cursor), ``r=o`` (oldest first), ``ot`` (arrived after: when the store first saw an
entry, so a late article with an old date is not missed), ``nt`` (published before), ``xt``
(excluded: the ``read`` state, a label) and ``it`` (kept only: the ``starred`` or ``read``
state). A label of a digest is the digest as its page shows it (its window up to now, its
filters, the stories its editors hid left out), one line per entry, not per story.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from veille.errors import QueryError
from veille.limits import MAX_ENTRIES
from veille.models import Config, Reader, Selection
from veille.render.greader import Catalog, Stream, parse_stream, parse_timestamp, state_name
from veille.selection import digest_selection

DEFAULT_N = 20
MAX_VALUES = 1000  # values of one name (ids of an edit-tag); the body cap bounds them anyway
TITLES = {"reading-list": "Tous les articles", "starred": "Favoris", "read": "Articles lus"}


class Params:
    """The values of a call's parameters, query first, then form."""

    def __init__(self, query: list[tuple[str, str]], form: dict[str, list[str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in query:
            self._values.setdefault(name, []).append(value)
        for name, values in form.items():
            self._values.setdefault(name, []).extend(values)

    @classmethod
    async def read(cls, request: Request) -> Params:
        """The query and, for a POST, its urlencoded body (capped by ``BodyGuard``)."""
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", "replace")
            form = parse_qs(body, keep_blank_values=True)
        return cls(list(request.query_params.multi_items()), form)

    def all(self, name: str) -> list[str]:
        found = self._values.get(name, [])
        if len(found) > MAX_VALUES:
            raise QueryError(f"{name} : {MAX_VALUES} valeurs au plus par requête")
        return found

    def get(self, name: str, default: str = "") -> str:
        found = self._values.get(name)
        return found[0] if found else default

    def first(self) -> dict[str, str]:
        """One value per name (``ClientLogin``'s fields)."""
        return {name: values[0] for name, values in self._values.items() if values}


@dataclass(frozen=True, slots=True)
class StreamCall:
    """A stream as asked: its id as clients write it, its title, and the selection."""

    id: str
    title: str
    selection: Selection


def stream_call(
    text: str, params: Params, config: Config, reader: Reader, now: datetime
) -> StreamCall:
    """The stream ``text`` with the options of ``params`` (see the module docstring)."""
    stream, catalog = parse_stream(text), Catalog.of(config)
    base, title = _stream_base(stream, catalog, config, now)
    return StreamCall(text.strip(), title, _options(base, params, reader, catalog))


def _stream_base(
    stream: Stream, catalog: Catalog, config: Config, now: datetime
) -> tuple[Selection, str]:
    if stream.kind == "feed":
        feed_id = catalog.feed_id(stream.name)
        if feed_id is None:
            raise HTTPException(404, f"source inconnue : « {stream.name[:120]} »")
        spec = config.feed(feed_id)
        return Selection(feeds=(feed_id,)), (spec.title if spec and spec.title else feed_id)
    if stream.kind == "label":
        target = catalog.label(stream.name)
        if target is None:
            raise HTTPException(404, f"libellé inconnu : « {stream.name[:120]} »")
        kind, name = target
        digest = config.digest(name) if kind == "digest" else None
        if digest is not None:
            chosen = digest_selection(digest, now)
            return replace(chosen, collapse=False), digest.title
        return Selection(tags=(name,)), catalog.shown(name)
    states = {"starred": {"starred_only": True}, "read": {"read_only": True}}
    return Selection(**states.get(stream.kind, {})), TITLES[stream.kind]  # type: ignore[arg-type]


def _options(selection: Selection, params: Params, reader: Reader, catalog: Catalog) -> Selection:
    n = params.get("n", str(DEFAULT_N)).strip()
    if not n.isascii() or not n.isdigit() or len(n) > 9:
        raise QueryError(f"n : nombre entier attendu, pas « {n[:40]} »")
    changes: dict[str, object] = {
        "reader": reader,
        "limit": min(max(int(n), 1), MAX_ENTRIES),
        "oldest_first": params.get("r") == "o",
        "cursor": params.get("c").strip() or None,
    }
    if ot := params.get("ot").strip():
        changes["arrived_since"] = parse_timestamp(ot, "ot")
    if nt := params.get("nt").strip():
        changes["until"] = parse_timestamp(nt, "nt")
    excluded = list(selection.exclude_tags)
    for target in params.all("xt"):
        if state_name(target) == "read":
            changes["unread_only"] = True
        elif (tag := _label_tag(target, catalog)) is not None:
            excluded.append(tag)
        else:
            raise QueryError(f"xt : exclusion non prise en charge « {target[:120]} »")
    changes["exclude_tags"] = tuple(excluded)
    for target in params.all("it"):
        name = state_name(target)
        if name in ("starred", "read"):
            changes[f"{name}_only"] = True
        else:
            raise QueryError(f"it : filtre non pris en charge « {target[:120]} »")
    return replace(selection, **changes)  # type: ignore[arg-type]


def _label_tag(target: str, catalog: Catalog) -> str | None:
    """The tag a ``user/-/label/…`` excludes (a digest cannot be excluded)."""
    try:
        stream = parse_stream(target, "xt")
    except QueryError:
        return None
    found = catalog.label(stream.name) if stream.kind == "label" else None
    return found[1] if found and found[0] == "tag" else None
