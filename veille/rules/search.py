"""Full-text search: what goes into the index, and what a user's query becomes. Pure.

Both sides go through the same ``veille.text`` functions (``tokens``: case and accents folded,
elisions dropped; then ``stem``: light plurals), so ``evaluation`` finds ``Évaluations``,
``l'IA``/``l’IA`` find ``IA``, ``tablette`` finds ``Tablettes``; and words stay whole words
(``IA`` never matches ``via``/``média``, ``ENT`` never ``enseignement``).

Index side: ``index_text(...) -> IndexedText(title, body)``, two columns of
space-separated stems. Recommended SQLite table (the store owns the SQL)::

    CREATE VIRTUAL TABLE entry_fts USING fts5(
        title, body,                                  -- FTS_COLUMNS, values of IndexedText
        tokenize = 'unicode61 remove_diacritics 2',   -- FTS_TOKENIZE: nothing else is needed
        prefix = '2 3'                                -- FTS_PREFIX: fast short `tab*` queries
    );                                                -- rowid = the entry's id
    SELECT rowid FROM entry_fts WHERE entry_fts MATCH :match          -- CompiledQuery.match
    ORDER BY bm25(entry_fts, 10.0, 1.0)   -- by relevance (BM25_WEIGHTS; lower is better)

``detail=full`` (the default) is needed for phrases. The text is already normalised, so the
tokenizer only splits on spaces; ``remove_diacritics 2`` is kept so that a letter
``fold`` leaves alone (``ø``, ``ł``) is treated the same way on both sides, since quoted query
strings are tokenised by FTS5 too. PostgreSQL: ``setweight(to_tsvector('simple',
title), 'A') || setweight(to_tsvector('simple', body), 'B')`` (TS_WEIGHTS), queried with
``to_tsquery('simple', to_tsquery(compiled))`` and ordered by ``ts_rank``.

The body is categories, author, summary (left out when the content repeats it) and content,
cut at ``MAX_BODY_CHARS`` normalised characters on a word boundary: enough for any article's
substance, and it bounds index size, indexing time and PostgreSQL positions (max 16383).
A phrase may run from one part of the body into the next; nobody will notice.

Query syntax (``compile_query``)::

    tablette évaluation       every word is required (AND; an uppercase AND is allowed)
    "classe inversée"         a phrase (« … » and “ … ” work too; an unclosed quote runs to the end)
    -moodle  -"jeu sérieux"   exclusions (also: NOT moodle); at least one term must remain
    ENT OR Pix                either term (only uppercase OR; "or" is a word)
    tablet*  "classe invers*" the last word is a prefix (at least 2 letters before the *)

Everything else is plain text: punctuation separates words (``title:x`` is the phrase
``title x``, ``auto-évaluation`` the phrase ``auto evaluation``), and terms with no word left
(``*``, ``(``, ``l'``) are ignored. User text never reaches FTS5 syntax: each term is an FTS5
string in double quotes. Errors are ``QueryError`` with a French message (HTTP 400).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from veille.errors import QueryError
from veille.text import ELISIONS, stem, strip_html, tokens, words

__all__ = [
    "BM25_WEIGHTS",
    "FTS_COLUMNS",
    "FTS_PREFIX",
    "FTS_TOKENIZE",
    "MAX_BODY_CHARS",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "TS_WEIGHTS",
    "CompiledQuery",
    "IndexedText",
    "Term",
    "compile_query",
    "index_text",
    "index_words",
    "to_tsquery",
]

FTS_COLUMNS = ("title", "body")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_PREFIX = "2 3"
BM25_WEIGHTS = (10.0, 1.0)  # title, body: a word in the title counts ten times more
TS_WEIGHTS = ("A", "B")  # title, body (PostgreSQL setweight)

MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 20_000
MAX_QUERY_CHARS = 500
MAX_TERMS = 30
MIN_PREFIX_CHARS = 2

# --- index side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexedText:
    """The values of one entry's FTS row, in the order of ``FTS_COLUMNS``."""

    title: str
    body: str


def _joined(stems: list[str], limit: int) -> str:
    """Stems joined by spaces, at most ``limit`` characters, cut between words."""
    return _truncate(" ".join(stems[: limit // 2 + 1]), limit)  # each word takes ≥ 2 chars


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit + 1)].rstrip() if " " in text[:limit] else ""


def index_text(
    title: str,
    summary_html: str,
    content_html: str,
    author: str | None = None,
    categories: Iterable[str] = (),
) -> IndexedText:
    """The FTS row of an entry (HTML fields are sanitised HTML, as stored)."""
    return index_words(
        words(title).stems,
        words(strip_html(summary_html)).stems,
        words(strip_html(content_html)).stems,
        words(author or "").stems,
        [words(c).stems for c in categories],
    )


def index_words(
    title: list[str],
    summary: list[str],
    content: list[str],
    author: list[str],
    categories: Iterable[list[str]],
) -> IndexedText:
    """``index_text`` from the stems of each field (``text.words``), when the caller has them."""
    content_text = _joined(content, MAX_BODY_CHARS)
    summary_text = _joined(summary, MAX_BODY_CHARS)
    # Feeds often send the start of the article as its summary, maybe cut in a word ("…").
    excerpt = summary_text.rsplit(" ", 1)[0] if summary_text.count(" ") >= 3 else summary_text
    if f" {excerpt} " in f" {content_text} ":
        summary_text = ""
    parts = [_joined(c, MAX_TITLE_CHARS) for c in categories]
    parts += [_joined(author, MAX_TITLE_CHARS), summary_text, content_text]
    body = _truncate(" ".join(p for p in parts if p), MAX_BODY_CHARS)
    return IndexedText(title=_joined(title, MAX_TITLE_CHARS), body=body)


# --- query side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One search term: stemmed words (several: a phrase); with ``prefix``, the last word is
    a folded, *unstemmed* prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    def alternatives(self) -> list[Term]:
        """This term, plus what a prefix must also match because the index holds stems.

        ``tablettes*`` must find ``tablettes``, indexed as ``tablette``; ``journaux*`` finds
        ``journal``. Only ``stem(p)`` and ``stem(p + "x")`` can fail to start with ``p``.
        """
        if not self.prefix:
            return [self]
        head, last = self.words[:-1], self.words[-1]
        alts = [self]
        for word in (last, last + "x"):
            stemmed = Term((*head, stem(word)))
            if not stemmed.words[-1].startswith(last) and stemmed not in alts:
                alts.append(stemmed)
        return alts


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A parsed query: ``groups`` are ANDed, the terms of a group ORed; ``excluded`` are
    NOT-ed. ``match`` is the FTS5 MATCH expression (bind it as a parameter)."""

    match: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


_QUOTES = str.maketrans(dict.fromkeys("“”«»„", '"'))
_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_PREFIX_END = re.compile(r"[^\W_]\*[\W_]*\Z")
_OPERATORS = ("OR", "AND", "NOT")
# An elided particle with no word after it (`l'`, `qu’ `): text.tokens keeps it as a word.
_LONE_ELISION = re.compile(rf"\b(?:{'|'.join(ELISIONS)})['’ʼ‘]+(?![^\W_])", re.IGNORECASE)
_OR_EXCLUSION = "« OR » relie deux termes à chercher, pas une exclusion (-…)"


def _term(raw: str) -> Term | None:
    words = tokens(_LONE_ELISION.sub(" ", raw))
    if not words:
        return None  # punctuation only, or a lone elision (`l'`)
    if not _PREFIX_END.search(raw):
        return Term(tuple(stem(w) for w in words))
    if len(words[-1]) < MIN_PREFIX_CHARS:
        raise QueryError(
            f"« {raw.strip()} » : il faut au moins {MIN_PREFIX_CHARS} lettres avant « * »"
        )
    return Term((*(stem(w) for w in words[:-1]), words[-1]), prefix=True)


def _items(query: str) -> list[str | tuple[bool, Term]]:
    """Operators (``OR``, ``NOT``) and ``(excluded, term)`` pairs, in order."""
    items: list[str | tuple[bool, Term]] = []
    for m in _ITEM.finditer(query.translate(_QUOTES)):
        minus, phrase, word = m.groups()
        if word in _OPERATORS:
            items.append(word)
            continue
        if word is not None:
            minus, phrase = ("-", word[1:]) if word.startswith("-") else ("", word)
        term = _term(phrase)
        if term is not None:
            items.append((bool(minus), term))
    return items


def compile_query(user_query: str) -> CompiledQuery:
    """Parse a user's query (module docstring); ``QueryError`` with a French message if
    it is empty, too long, only exclusions, or uses ``OR`` on an exclusion."""
    query = user_query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"recherche trop longue ({MAX_QUERY_CHARS} caractères au plus)")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    previous = ""  # "term" or "excluded": what the last term was
    or_pending = not_pending = False
    for item in _items(query):
        if item == "OR":
            if previous == "excluded":
                raise QueryError(_OR_EXCLUSION)
            or_pending = previous == "term"  # a leading OR is ignored, like AND
        elif item == "NOT":
            not_pending = True
        elif isinstance(item, tuple):
            negated, term = item[0] or not_pending, item[1]
            if negated and or_pending:
                raise QueryError(_OR_EXCLUSION)
            if negated:
                excluded.append(term)
            elif or_pending:
                groups[-1].append(term)
            else:
                groups.append([term])
            previous = "excluded" if negated else "term"
            or_pending = not_pending = False
    unique = list(dict.fromkeys(tuple(dict.fromkeys(g)) for g in groups))
    excluded = list(dict.fromkeys(excluded))
    if sum(map(len, unique)) + len(excluded) > MAX_TERMS:
        raise QueryError(f"recherche trop complexe ({MAX_TERMS} termes au plus)")
    if not unique:
        if excluded:
            raise QueryError(
                "la recherche ne peut pas contenir que des exclusions : "
                "ajoutez au moins un mot à chercher"
            )
        raise QueryError("recherche vide : saisissez au moins un mot")
    return CompiledQuery(_fts_match(unique, excluded), tuple(unique), tuple(excluded))


# --- rendering: FTS5 and PostgreSQL -------------------------------------------------------


def _any_of(parts: list[str], separator: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + separator.join(parts) + ")"


def _fts_term(term: Term) -> str:
    # Tokens are letters and digits only, but quoting is what keeps user text out of FTS5
    # syntax, so it is done fully: an FTS5 string doubles its internal quotes.
    quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted


def _fts_match(groups: list[tuple[Term, ...]], excluded: list[Term]) -> str:
    ands = [_any_of([_fts_term(a) for t in g for a in t.alternatives()], " OR ") for g in groups]
    match = " AND ".join(ands)
    if not excluded:
        return match
    nots = _any_of([_fts_term(a) for t in excluded for a in t.alternatives()], " OR ")
    return f"{_any_of(ands, ' AND ')} NOT {nots}"


def _ts_term(term: Term) -> str:
    lexemes = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    return _any_of(lexemes, " <-> ")


def to_tsquery(compiled: CompiledQuery) -> str:
    """The same query for PostgreSQL: ``to_tsquery('simple', to_tsquery(compiled))``."""
    ands = [
        _any_of([_ts_term(a) for t in g for a in t.alternatives()], " | ") for g in compiled.groups
    ]
    query = " & ".join(ands)
    if compiled.excluded:
        nots = [_ts_term(a) for t in compiled.excluded for a in t.alternatives()]
        query += " & !" + _any_of(nots, " | ")
    return query
