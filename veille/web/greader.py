"""The Google Reader API under ``/api/greader`` (what FreshRSS and Miniflux serve, for the
same clients): the table of endpoints, then one thin handler each.

Clients are given ``https://host/api/greader`` as their server and add the paths of the
table. One route catches them all: a client that ends the server URL with a slash sends
``/api/greader//reader/…`` (newsboat does), and a stream id may hold a whole feed URL
(``stream/contents/feed/https://…``). Sources and labels come from feeds.yaml: the calls
that would change them (``subscription/edit``, ``quickadd``, ``rename-tag``,
``disable-tag``) are refused with a clear sentence. The vocabulary and the JSON shapes are
``render/greader.py``; the tokens ``web/greader_auth.py``; the streams' options
``web/greader_params.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from veille.errors import QueryError
from veille.limits import MAX_ENTRIES
from veille.models import Account, EntryView, Selection
from veille.render.greader import (
    IGNORED_STATES,
    READING_LIST,
    Catalog,
    item_json,
    item_refs_json,
    parse_item_id,
    parse_timestamp,
    state_name,
    stream_json,
    subscription_json,
    tags_json,
    unread_count_json,
)
from veille.render.greader_atom import render_stream_atom
from veille.store import Store
from veille.web import state
from veille.web.greader_auth import account_of, client_login, given_token, make_token, unauthorized
from veille.web.greader_params import Params, StreamCall, stream_call

router = APIRouter(include_in_schema=False)
PREFIX = "/api/greader"
API = "reader/api/0/"


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the request, its caller, its parameters, the rest of its path."""

    request: Request
    account: Account
    version: int  # its secret version, which its token carries
    params: Params
    rest: str  # after the endpoint's path: the stream of ``stream/contents/<stream>``

    @property
    def store(self) -> Store:
        return state.store(self.request)

    @property
    def now(self) -> datetime:
        return state.now(self.request)

    def stream(self, text: str) -> StreamCall:
        config = state.config(self.request)
        return stream_call(text, self.params, config, self.account.reader, self.now)


Handler = Callable[[Call], Response]


@router.api_route(PREFIX + "/{path:path}", methods=["GET", "POST"])
async def greader(request: Request, path: str) -> Response:
    params = await Params.read(request)
    return await run_in_threadpool(_dispatch, request, path.strip("/"), params)


def _dispatch(request: Request, path: str, params: Params) -> Response:
    if path == "accounts/ClientLogin":
        return client_login(request, params.first())
    found = _endpoint(path)
    if found is None:
        raise HTTPException(404, f"point d'accès inconnu de l'API Google Reader : « {path[:80]} »")
    (methods, handler), rest = found
    caller = account_of(request, given_token(request, params.first()))
    if caller is None:
        return unauthorized()
    if request.method not in methods:
        raise HTTPException(405, "cette action demande une requête POST")
    return handler(Call(request, *caller, params, rest))


def _endpoint(path: str) -> tuple[tuple[frozenset[str], Handler], str] | None:
    """The endpoint of ``path`` and what follows it (endpoints taking a stream in the path)."""
    if path in ENDPOINTS:
        return ENDPOINTS[path], ""
    for prefix in STREAM_IN_PATH:
        if path.startswith(prefix + "/"):
            return ENDPOINTS[prefix], path[len(prefix) + 1 :]
    return None


# --- handlers ------------------------------------------------------------------------------------


def token(call: Call) -> Response:
    """The ``T`` of writes: the token itself (with no line break: newsboat sends it back as is)."""
    return PlainTextResponse(make_token(call.request, call.account, call.version))


def user_info(call: Call) -> Response:
    a = call.account
    return JSONResponse(
        {
            "userId": str(a.id),
            "userName": a.shown_name,
            "userProfileId": str(a.id),
            "userEmail": a.name,
            "isBloggerUser": False,
            "signupTimeSec": int(a.created_at.timestamp()),
            "isMultiLoginEnabled": False,
        }
    )


def subscription_list(call: Call) -> Response:
    catalog = Catalog.of(state.config(call.request))
    states = {f.id: f for f in call.store.feed_states()}
    subscriptions = [subscription_json(f, states.get(f.id), catalog) for f in catalog.feeds]
    return JSONResponse({"subscriptions": subscriptions})


def tag_list(call: Call) -> Response:
    return JSONResponse(tags_json(Catalog.of(state.config(call.request))))


def unread_count(call: Call) -> Response:
    """Sources, themes and feed tags, and the reading list. Digests have no count here: each
    would cost a query of its own at every sync (apps count their items themselves)."""
    config, reader = state.config(call.request), call.account.reader
    catalog = Catalog.of(config)
    summary = call.store.unread_summary(reader)
    by_feed = {f.id: summary.by_feed[f.id] for f in catalog.feeds if f.id in summary.by_feed}
    by_label = {catalog.shown(tag): n for tag, n in summary.by_tag.items()}
    return JSONResponse(unread_count_json(by_feed, by_label, summary.total))


def item_ids(call: Call) -> Response:
    stream = call.stream(call.params.get("s") or READING_LIST)
    refs, cursor = call.store.list_entry_refs(stream.selection)
    return JSONResponse(item_refs_json(refs, cursor))


def item_contents(call: Call) -> Response:
    ids = [parse_item_id(i) for i in call.params.all("i")]
    if len(ids) > MAX_ENTRIES:
        raise QueryError(f"i : {MAX_ENTRIES} articles au plus par requête")
    entries = call.store.get_entries(ids, reader=call.account.reader)
    if call.params.get("r") == "o":
        entries.sort(key=lambda e: (e.published, int(e.id)))
    return _stream_answer(call, StreamCall(READING_LIST, "Articles", Selection()), entries, None)


def stream_contents(call: Call) -> Response:
    # The stream: in the path (Google Reader), else ``s`` (BazQux's form), else the reading
    # list (EasyRSS and FeedMe ask for ``stream/contents`` alone).
    stream = call.stream(call.rest or call.params.get("s") or READING_LIST)
    page = call.store.list_entries(stream.selection)
    return _stream_answer(call, stream, list(page.entries), page.next_cursor)


def _stream_answer(
    call: Call, stream: StreamCall, entries: Sequence[EntryView], cursor: str | None
) -> Response:
    catalog = Catalog.of(state.config(call.request))
    feeds = {e.feed for e in entries}  # the page's sources only: every one costs a row read
    sites = {f.id: f.site_url or "" for f in call.store.feed_states(feeds)}
    items = [item_json(e, catalog, sites) for e in entries]
    return JSONResponse(stream_json(stream.id, stream.title, items, cursor, call.now))


def atom(call: Call) -> Response:
    stream = call.stream(call.rest or READING_LIST)
    page = call.store.list_entries(stream.selection)
    catalog = Catalog.of(state.config(call.request))
    body = render_stream_atom(
        stream.id, stream.title, page.entries, catalog, page.next_cursor, call.now
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def edit_tag(call: Call) -> Response:
    """Read and starred states of items: ``a`` adds, ``r`` removes (``kept-unread`` is the
    opposite of ``read``). Labels are themes, computed: adding one is refused."""
    ids = [parse_item_id(i) for i in call.params.all("i")]
    if not ids:
        raise QueryError("i : au moins un article attendu")
    read: bool | None = None
    starred: bool | None = None
    for added, targets in ((True, call.params.all("a")), (False, call.params.all("r"))):
        for target in targets:
            name = state_name(target)
            if name in ("read", "kept-unread"):
                value = added == (name == "read")
                if read is not None and read != value:
                    raise QueryError("a, r : un article ne peut être lu et non lu à la fois")
                read = value
            elif name == "starred":
                if starred is not None and starred != added:
                    raise QueryError("a, r : favori ajouté et retiré à la fois")
                starred = added
            elif name is None or name not in IGNORED_STATES:
                raise QueryError(
                    f"« {target[:120]} » : seuls les états lu et favori se modifient ici (les "
                    "thèmes sont calculés par veille)"
                )
    if read is not None or starred is not None:
        call.store.mark(call.account.id, ids, read=read, starred=starred, now=call.now)
    return PlainTextResponse("OK")


def mark_all_as_read(call: Call) -> Response:
    """Every entry of the stream first seen up to ``ts`` (default: now) becomes read."""
    stream = call.stream(call.params.get("s") or READING_LIST)
    up_to = call.now
    if ts := call.params.get("ts").strip():
        up_to = min(up_to, parse_timestamp(ts, "ts"))
    call.store.mark_all_read(call.account.id, stream.selection, up_to=up_to, now=call.now)
    return PlainTextResponse("OK")


def read_only_subscriptions(call: Call) -> Response:
    raise HTTPException(
        403,
        "les sources se gèrent dans feeds.yaml (veille les lit de là) : elles ne s'ajoutent, "
        "ne se renomment ni ne se suppriment par l'API",
    )


def read_only_labels(call: Call) -> Response:
    raise HTTPException(
        403,
        "les libellés sont les thèmes et sélections de feeds.yaml : ils ne se modifient "
        "pas par l'API",
    )


READS, WRITES = frozenset({"GET", "POST"}), frozenset({"POST"})
ENDPOINTS: dict[str, tuple[frozenset[str], Handler]] = {
    API + "token": (READS, token),
    API + "user-info": (READS, user_info),
    API + "subscription/list": (READS, subscription_list),
    API + "subscription/edit": (WRITES, read_only_subscriptions),
    API + "subscription/quickadd": (WRITES, read_only_subscriptions),
    API + "tag/list": (READS, tag_list),
    API + "rename-tag": (WRITES, read_only_labels),
    API + "disable-tag": (WRITES, read_only_labels),
    API + "unread-count": (READS, unread_count),
    API + "stream/items/ids": (READS, item_ids),
    API + "stream/items/contents": (READS, item_contents),
    API + "stream/contents": (READS, stream_contents),
    API + "edit-tag": (WRITES, edit_tag),
    API + "mark-all-as-read": (WRITES, mark_all_as_read),
    "reader/atom": (READS, atom),  # newsboat's « FeedHQ » mode reads streams as Atom
}
STREAM_IN_PATH = (API + "stream/contents", "reader/atom")
