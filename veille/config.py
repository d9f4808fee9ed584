"""``feeds.yaml``: schema, loading and validation with ``file:line`` errors.

The file is read with ruamel.yaml's *round-trip* loader: every mapping and sequence remembers
the line of each key and item (so an error names the line of the offending key or list item),
and the same document can later be modified and written back with its comments intact
(``read_document`` + ``round_trip_yaml().dump(doc, stream)``, for the OPML import).

Validation collects *every* problem rather than stopping at the first one:

* ``validate_config(path) -> list[ConfigError]`` returns them all, in line order
  (``veille check`` prints each as ``file:line: raison`` and exits 2);
* ``load_config(path) -> Config`` raises the first one; when there are more, its reason ends
  with ``(+N autres erreurs : lancez « veille check »)``.

Reasons are in French: referents read them as is.

Schema: DESIGN.md ("feeds.yaml") and the comments of the shipped feeds.yaml. Beyond types:
``feeds`` is required; ids, tag and digest names are slugs (``[a-z0-9][a-z0-9-]*``); feed ids
are unique and so are URLs; ``url`` is http(s) with a host (``type: feed|html``) or imap(s)
(``type: imap``); 1 minute ≤ ``every`` ≤ 7 days; 1 minute ≤ ``window`` ≤ 366 days; feed tags are
free slugs, but a digest's ``tags``/``exclude_tags`` must be declared under ``tags:`` or given by
some feed, and its ``feeds`` must be declared ids. Terms (see veille.tag) are checked here only for
form: non-empty, ``*`` only at the end, a ``/regex/`` compiles and cannot match the empty text.
Sources without a feed (``type: html`` selectors, ``type: imap`` mailbox URL and keys) are
checked by :mod:`veille.config_sources`.
``mail.at`` is ``"HH:MM"`` (every day) or ``"DAY HH:MM"``, DAY one of the English three-letter
names ``mon … sun`` (case-insensitive; a French name is refused with its English equivalent, so
the scheduler has one vocabulary); it is stored normalised (``"mon 07:30"``), read back by
``parse_mail_at``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .config_sources import HTML_KEYS, IMAP_KEYS, check_mailbox, check_page, misplaced_keys
from .errors import ConfigError
from .models import Config, DigestSpec, FeedSpec, FeedType, MailboxSpec, MailSpec, PageSpec, TagRule

__all__ = [
    "load_config",
    "parse_duration",
    "parse_mail_at",
    "read_document",
    "round_trip_yaml",
    "validate_config",
]

TOP_KEYS = ("feeds", "tags", "digests")
FEED_KEYS = ("id", "url", "title", "tags", "every", "type", *HTML_KEYS, *IMAP_KEYS)
TAG_KEYS = ("label", "match", "exclude")
DIGEST_KEYS = ("title", "window", "tags", "exclude_tags", "feeds", "query", "mail")
MAIL_KEYS = ("to", "at")
FEED_TYPES: tuple[FeedType, ...] = ("feed", "html", "imap")

DEFAULT_EVERY, DEFAULT_WINDOW = timedelta(minutes=30), timedelta(days=1)  # as in models.py
EVERY_MIN, EVERY_MAX = timedelta(minutes=1), timedelta(days=7)
WINDOW_MIN, WINDOW_MAX = timedelta(minutes=1), timedelta(days=366)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\Z")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+\Z")
_MAIL_AT = re.compile(r"(?:([a-z]+)\s+)?(\d{1,2}):(\d{2})\Z")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FRENCH_DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


# --- small public parsers --------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"1h"``, ``"2h30m"``, ``"1d"``, ``"45s"`` → timedelta.

    Units, in this order, each at most once: ``d`` (days), ``h``, ``m`` (minutes), ``s``.
    Lower-case only (``M`` could be read as months). Raises ValueError with a French message.
    Bounds (e.g. at least one minute) are the caller's business.
    """
    s = text.strip()
    m = _DURATION.match(s)
    if not s or m is None:
        raise ValueError(f"durée invalide « {text} » (exemples : 45s, 30m, 1h, 2h30m, 1d)")
    d, h, mn, sec = (int(g) if g else 0 for g in m.groups())
    return timedelta(days=d, hours=h, minutes=mn, seconds=sec)


def parse_mail_at(text: str) -> tuple[int | None, time]:
    """``"mon 07:30"`` → ``(0, time(7, 30))``; ``"07:30"`` → ``(None, time(7, 30))`` (every day).

    The weekday follows ``datetime.weekday()`` (Monday is 0). Raises ValueError (French).
    """
    m = _MAIL_AT.match(" ".join(text.lower().split()))
    if m is None:
        raise ValueError(f"horaire invalide « {text} » (exemples : « mon 07:30 », « 18:00 »)")
    day, hh, mm = m.group(1), int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59:
        raise ValueError(f"heure invalide « {text} » (00:00 à 23:59)")
    if day is None:
        return None, time(hh, mm)
    if day in DAYS:
        return DAYS.index(day), time(hh, mm)
    french = next((i for i, f in enumerate(_FRENCH_DAYS) if day.startswith(f)), None)
    hint = f" ; « {day} » s'écrit « {DAYS[french]} »" if french is not None else ""
    raise ValueError(f"jour inconnu « {day} » : utilisez {', '.join(DAYS)}{hint}")


# --- reading ----------------------------------------------------------------------------------


def round_trip_yaml() -> YAML:
    """The ruamel configuration used to read (and, later, write back) feeds.yaml."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_document(path: Path) -> Any:
    """The round-trip document (comments kept); YAML syntax errors become ConfigError."""
    where = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(where, None, "fichier introuvable") from None
    except UnicodeDecodeError as e:
        raise ConfigError(where, None, f"le fichier n'est pas en UTF-8 ({e.reason})") from e
    except OSError as e:
        raise ConfigError(where, None, f"lecture impossible : {e.strerror}") from e
    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(where, line, _yaml_reason(e)) from e
    except YAMLError as e:
        raise ConfigError(where, None, f"YAML invalide : {e}") from e


def _yaml_reason(e: MarkedYAMLError) -> str:
    problem = e.problem or str(e)
    if isinstance(e, DuplicateKeyError):
        m = re.search(r'duplicate key "([^"]*)"', problem)
        return f"clé « {m.group(1) if m else '?'} » en double dans le même bloc"
    if "'\\t'" in problem:
        return "tabulation interdite : indentez avec des espaces"
    return f"syntaxe YAML invalide : {problem}"


# --- validation -------------------------------------------------------------------------------


def validate_config(path: Path) -> list[ConfigError]:
    """Every problem of the file, in line order (empty: the file is valid)."""
    return _check(path)[1]


def load_config(path: Path) -> Config:
    """The validated configuration; raises the first ConfigError (see the module docstring)."""
    config, errors = _check(path)
    if errors:
        first = errors[0]
        more = len(errors) - 1
        if more:
            s = "s" if more > 1 else ""
            reason = f"{first.reason} (+{more} autre{s} erreur{s} : lancez « veille check »)"
            raise ConfigError(first.path, first.line, reason)
        raise first
    assert config is not None
    return config


def _check(path: Path) -> tuple[Config | None, list[ConfigError]]:
    try:
        doc = read_document(path)
    except ConfigError as e:
        return None, [e]
    checker = _Checker(str(path))
    config = checker.config(doc)
    errors = sorted(checker.errors, key=lambda e: e.line or 0)
    return (None if errors else config), errors


def _key_line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return _node_line(node)


def _item_line(node: Any, index: int) -> int | None:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return _node_line(node)


def _node_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _suggest(key: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


class _Checker:
    """Walks the document once, recording errors instead of raising."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[ConfigError] = []

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(ConfigError(self.path, line, reason))

    # generic helpers

    def mapping(self, node: Any, line: int | None, what: str) -> CommentedMap | None:
        if isinstance(node, CommentedMap):
            return node
        self.error(line, f"{what} doit être un dictionnaire (clé: valeur)")
        return None

    def known_keys(self, node: CommentedMap, valid: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in valid:
                hint = _suggest(str(key), valid) or f" ; clés possibles : {', '.join(valid)}"
                self.error(_key_line(node, key), f"clé inconnue « {key} » {where}{hint}")

    def text(self, node: CommentedMap, key: str, *, required: bool = False) -> str | None:
        if key not in node:
            if required:
                self.error(_node_line(node), f"clé « {key} » obligatoire manquante")
            return None
        value = node[key]
        if not isinstance(value, str):
            shown = "vide" if value is None else f"« {value} »"
            self.error(_key_line(node, key), f"« {key} » doit être un texte (valeur {shown})")
            return None
        if required and not value.strip():
            self.error(_key_line(node, key), f"« {key} » ne doit pas être vide")
            return None
        return str(value).strip()

    def strings(self, node: CommentedMap, key: str) -> list[tuple[str, int | None]]:
        """A list of strings (each with its line); a lone string is refused."""
        if key not in node or node[key] is None:
            return []
        value = node[key]
        if not isinstance(value, CommentedSeq):
            self.error(_key_line(node, key), f"« {key} » doit être une liste, ex. [a, b]")
            return []
        out = []
        for i, item in enumerate(value):
            line = _item_line(value, i)
            if isinstance(item, str) and item.strip():
                out.append((str(item).strip(), line))
            else:
                self.error(line, f"élément de « {key} » invalide : texte non vide attendu")
        return out

    def slugs(self, node: CommentedMap, key: str) -> list[tuple[str, int | None]]:
        out = []
        for value, line in self.strings(node, key):
            if _SLUG.match(value):
                out.append((value, line))
            else:
                self.error(line, f"« {value} » n'est pas un identifiant valide ({_SLUG_HELP})")
        return out

    def duration(
        self, node: CommentedMap, key: str, low: timedelta, high: timedelta
    ) -> timedelta | None:
        if key not in node:
            return None
        line, value = _key_line(node, key), node[key]
        if not isinstance(value, str):
            self.error(line, f"« {key} » : durée avec unité attendue (ex. 30m, 1h, 1d)")
            return None
        try:
            td = parse_duration(value)
        except ValueError as e:
            self.error(line, f"« {key} » : {e}")
            return None
        if not low <= td <= high:
            self.error(line, f"« {key} » : {value} hors limites ({_fmt(low)} à {_fmt(high)})")
            return None
        return td

    # sections

    def config(self, doc: Any) -> Config:
        if not isinstance(doc, CommentedMap):
            found = "vide" if doc is None else "pas un dictionnaire"
            self.error(_node_line(doc) or 1, f"le fichier est {found} : clé « feeds: » attendue")
            return Config(path=self.path)
        self.known_keys(doc, TOP_KEYS, "au premier niveau")
        feeds = self.feeds(doc)
        tags = self.tag_rules(doc)
        known_tags = {r.name for r in tags} | {t for f in feeds for t in f.tags}
        digests = self.digests(doc, {f.id for f in feeds}, known_tags)
        return Config(path=self.path, feeds=feeds, tags=tags, digests=digests)

    def feeds(self, doc: CommentedMap) -> tuple[FeedSpec, ...]:
        if "feeds" not in doc:
            self.error(1, "clé « feeds: » obligatoire manquante (la liste des sources)")
            return ()
        seq = doc["feeds"]
        if seq is None:
            return ()
        if not isinstance(seq, CommentedSeq):
            self.error(_key_line(doc, "feeds"), "« feeds » doit être une liste (- id: …)")
            return ()
        specs: list[FeedSpec] = []
        seen_ids: dict[str, int | None] = {}
        seen_urls: dict[str, tuple[str, int | None]] = {}
        for i, item in enumerate(seq):
            line = _item_line(seq, i)
            node = self.mapping(item, line, "chaque source")
            if node is None:
                continue
            # Duplicates are told even when the first declaration has errors of its own.
            raw_id = node.get("id")
            duplicate = isinstance(raw_id, str) and raw_id in seen_ids
            if duplicate:
                self.error(line, f"identifiant « {raw_id} » déjà utilisé ligne {seen_ids[raw_id]}")
            elif isinstance(raw_id, str):
                seen_ids[raw_id] = line
            spec = self.feed(node, line)  # its own errors are told too
            if spec is None or duplicate:
                continue
            if spec.url in seen_urls:
                other, other_line = seen_urls[spec.url]
                self.error(
                    _key_line(node, "url"),
                    f"URL déjà déclarée pour « {other} » ligne {other_line}",
                )
            seen_urls[spec.url] = (spec.id, line)
            specs.append(spec)
        return tuple(specs)

    def feed(self, node: CommentedMap, line: int | None) -> FeedSpec | None:
        self.known_keys(node, FEED_KEYS, "dans une source")
        before = len(self.errors)
        feed_id = self.text(node, "id", required=True)
        if feed_id is not None and not _SLUG.match(feed_id):
            self.error(_key_line(node, "id"), f"identifiant « {feed_id} » invalide ({_SLUG_HELP})")
        kind = self.text(node, "type") or "feed"
        if kind not in FEED_TYPES:
            hint = _suggest(kind, FEED_TYPES) or f" ; valeurs : {', '.join(FEED_TYPES)}"
            self.error(_key_line(node, "type"), f"type « {kind} » inconnu{hint}")
        url = self.text(node, "url", required=True)
        url_ok = False
        if url is not None and kind in FEED_TYPES:
            problem = _url_problem(url, kind)
            if problem:
                self.error(_key_line(node, "url"), problem)
            url_ok = problem is None
        misplaced_keys(node, kind, self.error)
        page: PageSpec | None = None
        mailbox: MailboxSpec | None = None
        if kind == "html":
            page = check_page(node, self.error)
        elif kind == "imap" and url is not None and url_ok:
            mailbox = check_mailbox(node, url, self.error)
        title = self.text(node, "title")
        tags = self.slugs(node, "tags")
        every = self.duration(node, "every", EVERY_MIN, EVERY_MAX)
        if len(self.errors) > before or feed_id is None or url is None:
            return None
        return FeedSpec(
            id=feed_id,
            url=url,
            title=title or None,
            tags=tuple(dict.fromkeys(t for t, _ in tags)),
            every=every or DEFAULT_EVERY,
            type=kind,  # type: ignore[arg-type]  # checked against FEED_TYPES above
            line=line,
            page=page,
            mailbox=mailbox,
        )

    def section(
        self, doc: CommentedMap, key: str, what: str
    ) -> Iterator[tuple[str, Any, int | None]]:
        """(name, body, line) of each entry of a ``name: body`` section with slug names."""
        section = doc.get(key)
        if section is None or self.mapping(section, _key_line(doc, key), f"« {key} »") is None:
            return
        for name, body in section.items():
            line = _key_line(section, name)
            if isinstance(name, str) and _SLUG.match(name):
                yield name, body, line
            else:
                self.error(line, f"nom de {what} « {name} » invalide ({_SLUG_HELP})")

    def tag_rules(self, doc: CommentedMap) -> tuple[TagRule, ...]:
        rules = []
        for name, body, line in self.section(doc, "tags", "thème"):
            node = self.mapping(CommentedMap() if body is None else body, line, f"« {name} »")
            if node is None:
                continue
            self.known_keys(node, TAG_KEYS, f"dans le thème « {name} »")
            match = [self.term(t, ln) for t, ln in self.strings(node, "match")]
            exclude = [self.term(t, ln) for t, ln in self.strings(node, "exclude")]
            label = self.text(node, "label") or name
            rules.append(
                TagRule(name, label, tuple(filter(None, match)), tuple(filter(None, exclude)))
            )
        return tuple(rules)

    def term(self, term: str, line: int | None) -> str | None:
        if len(term) >= 2 and term.startswith("/") and term.endswith("/"):
            pattern = term[1:-1]
            try:
                compiled = re.compile(pattern, re.IGNORECASE)
            except re.error as e:
                self.error(line, f"expression régulière « {term} » invalide : {e}")
                return None
            if compiled.search("") is not None:
                self.error(line, f"expression régulière « {term} » qui accepte le texte vide")
                return None
            return term
        if "*" in term.rstrip("*") or term.endswith("**"):
            self.error(line, f"terme « {term} » : « * » n'est permis qu'une fois, en fin de terme")
            return None
        if not re.search(r"\w", term):
            self.error(line, f"terme « {term} » sans lettre ni chiffre")
            return None
        return term

    def digests(
        self, doc: CommentedMap, feed_ids: set[str], known_tags: set[str]
    ) -> tuple[DigestSpec, ...]:
        digests = []
        for name, body, line in self.section(doc, "digests", "sélection"):
            node = self.mapping(body, line, f"la sélection « {name} »")
            digest = node is not None and self.digest(name, node, feed_ids, known_tags)
            if digest:
                digests.append(digest)
        return tuple(digests)

    def digest(
        self, name: str, node: CommentedMap, feed_ids: set[str], known_tags: set[str]
    ) -> DigestSpec | None:
        self.known_keys(node, DIGEST_KEYS, f"dans la sélection « {name} »")
        before = len(self.errors)
        title = self.text(node, "title") or name
        window = self.duration(node, "window", WINDOW_MIN, WINDOW_MAX)
        refs: dict[str, list[str]] = {}
        for key in ("tags", "exclude_tags"):
            refs[key] = []
            for tag, ln in self.slugs(node, key):
                if tag in known_tags:
                    refs[key].append(tag)
                else:
                    hint = _suggest(tag, known_tags)
                    self.error(
                        ln, f"thème « {tag} » inconnu (ni sous « tags: » ni d'une source){hint}"
                    )
        feeds = []
        for feed_id, ln in self.strings(node, "feeds"):
            if feed_id in feed_ids:
                feeds.append(feed_id)
            else:
                self.error(ln, f"source « {feed_id} » inconnue{_suggest(feed_id, feed_ids)}")
        query = self.text(node, "query") or ""
        mail = self.mail(node, name) if "mail" in node else None
        if len(self.errors) > before:
            return None
        return DigestSpec(
            name=name,
            title=title,
            window=window or DEFAULT_WINDOW,
            tags=tuple(refs["tags"]),
            exclude_tags=tuple(refs["exclude_tags"]),
            feeds=tuple(feeds),
            query=query,
            mail=mail,
        )

    def mail(self, parent: CommentedMap, name: str) -> MailSpec | None:
        node = self.mapping(parent["mail"], _key_line(parent, "mail"), "« mail »")
        if node is None:
            return None
        self.known_keys(node, MAIL_KEYS, f"dans « mail » de « {name} »")
        before = len(self.errors)
        if "to" not in node:
            self.error(_node_line(node), "clé « to » obligatoire manquante (destinataires)")
        addresses = self.strings(node, "to")
        if "to" in node and isinstance(node["to"], CommentedSeq) and not node["to"]:
            self.error(_key_line(node, "to"), "« to » : au moins un destinataire")
        for address, ln in addresses:
            if not _EMAIL.match(address):
                self.error(ln, f"adresse e-mail invalide « {address} »")
        at = self.text(node, "at", required=True)
        normalised = ""
        if at is not None:
            try:
                day, hhmm = parse_mail_at(at)
            except ValueError as e:
                self.error(_key_line(node, "at"), f"« at » : {e}")
            else:
                prefix = f"{DAYS[day]} " if day is not None else ""
                normalised = f"{prefix}{hhmm:%H:%M}"
        if len(self.errors) > before:
            return None
        return MailSpec(to=tuple(a for a, _ in addresses), at=normalised)


_SLUG_HELP = "minuscules non accentuées, chiffres et tirets, ex. cafe-pedagogique"


def _url_problem(url: str, kind: str) -> str | None:
    schemes = ("imap", "imaps") if kind == "imap" else ("http", "https")
    if any(c.isspace() for c in url):
        return f"URL « {url} » invalide : elle contient des espaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        return f"URL « {url} » invalide"
    if parts.scheme.lower() not in schemes:
        allowed = " ou ".join(f"{s}://" for s in schemes)
        return f"URL « {url} » : elle doit commencer par {allowed} (type {kind})"
    if not parts.hostname:
        return f"URL « {url} » : nom de serveur manquant"
    return None


def _fmt(td: timedelta) -> str:
    if td % timedelta(days=1) == timedelta(0):
        return f"{td.days} jour{'s' if td.days > 1 else ''}"
    return f"{int(td.total_seconds() // 60)} minute{'s' if td >= timedelta(minutes=2) else ''}"
