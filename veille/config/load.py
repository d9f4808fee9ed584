"""``feeds.yaml``: schema, loading and validation with ``file:line`` errors.

The file is read as a round-trip YAML document (:mod:`veille.config.yamldoc`: every key and list
item keeps its line, so an error names the line of the offending key or list item; the same
document can be written back with its comments, for the OPML import).

Validation collects *every* problem rather than stopping at the first one:

* ``validate_config(path) -> list[ConfigError]`` returns them all, in line order
  (``veille check`` prints each as ``file:line: raison`` and exits 2);
* ``load_config(path) -> Config`` raises the first one; when there are more, its reason ends
  with ``(+N autres erreurs : lancez « veille check »)``.

Reasons are in French: referents read them as is.

Schema: the README (« Configurer les sources ») and the comments of the shipped feeds.yaml.
Beyond types:
``feeds`` is required; ids, tag and digest names are slugs (``[a-z0-9][a-z0-9-]*``); feed ids
are unique and so are URLs; ``url`` is http(s) with a host (``type: feed|html``) or imap(s)
(``type: imap``); 1 minute ≤ ``every`` ≤ 7 days; 1 minute ≤ ``window`` ≤ 366 days; feed tags are
free slugs, but a digest's ``tags``/``exclude_tags`` must be declared under ``tags:`` or given by
some feed, and its ``feeds`` must be declared ids. ``labels:`` names the feeds' own tags
(``actualite: Actualité``): each key must be a tag given by some feed and not a theme (a theme
has its ``label:``); an undeclared one is shown in a readable form (``Config.tag_labels``).
Terms and host patterns of the themes are checked for form by :mod:`veille.config.rule_terms`.
Sources without a feed (``type: html`` selectors, ``type: imap`` mailbox URL and keys) are
checked by :mod:`veille.config.sources`.
A digest's ``notify:`` targets (Matrix rooms, webhooks) are checked by
:mod:`veille.config.notify`; its ``une:`` (« À la une ») and a source's ``institution:`` by
:mod:`veille.config.une`.
Durations and ``mail.at`` are read by :mod:`veille.config.durations` (``parse_duration``,
``parse_mail_at``); ``mail.at`` is stored normalised (``"mon 07:30"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from veille.config.durations import DAYS, parse_mail_at
from veille.config.notify import check_notify
from veille.config.rule_terms import host_problem, term_problem
from veille.config.sources import HTML_KEYS, IMAP_KEYS, check_mailbox, check_page, misplaced_keys
from veille.config.une import check_institution, check_une
from veille.config.yamldoc import (
    NodeChecker,
    item_line,
    key_line,
    node_line,
    read_document,
    suggest,
)
from veille.errors import ConfigError
from veille.models import (
    Config,
    DigestSpec,
    FeedSpec,
    FeedType,
    MailboxSpec,
    MailSpec,
    PageSpec,
    TagRule,
)
from veille.text import plural

__all__ = [
    "load_config",
    "validate_config",
]

TOP_KEYS = ("feeds", "tags", "labels", "digests")
FEED_KEYS = (
    "id", "url", "title", "tags", "every", "type", "institution", *HTML_KEYS, *IMAP_KEYS,
)  # fmt: skip
TAG_KEYS = ("label", "match", "weak", "exclude", "ignore", "hosts")
DIGEST_KEYS = (
    "title", "window", "tags", "exclude_tags", "feeds", "query", "mail", "notify", "une",
)  # fmt: skip
MAIL_KEYS = ("to", "at")
FEED_TYPES: tuple[FeedType, ...] = ("feed", "html", "imap")

DEFAULT_EVERY, DEFAULT_WINDOW = timedelta(minutes=30), timedelta(days=1)  # as in models.py
EVERY_MIN, EVERY_MAX = timedelta(minutes=1), timedelta(days=7)
WINDOW_MIN, WINDOW_MAX = timedelta(minutes=1), timedelta(days=366)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+\Z")


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
            others = plural(more, "autre erreur", "autres erreurs")
            reason = f"{first.reason} (+{others} : lancez « veille check »)"
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


class _Checker(NodeChecker):
    """Walks the document once, recording errors instead of raising."""

    def slugs(self, node: CommentedMap, key: str) -> list[tuple[str, int | None]]:
        out = []
        for value, line in self.strings(node, key):
            if _SLUG.match(value):
                out.append((value, line))
            else:
                self.error(line, f"« {value} » n'est pas un identifiant valide ({_SLUG_HELP})")
        return out

    # sections

    def config(self, doc: Any) -> Config:
        if not isinstance(doc, CommentedMap):
            found = "vide" if doc is None else "pas un dictionnaire"
            self.error(node_line(doc) or 1, f"le fichier est {found} : clé « feeds: » attendue")
            return Config(path=self.path)
        self.known_keys(doc, TOP_KEYS, "au premier niveau")
        feeds = self.feeds(doc)
        tags = self.tag_rules(doc)
        known_tags = {r.name for r in tags} | {t for f in feeds for t in f.tags}
        labels = self.labels(doc, known_tags - {r.name for r in tags}, {r.name for r in tags})
        digests = self.digests(doc, {f.id for f in feeds}, known_tags)
        return Config(path=self.path, feeds=feeds, tags=tags, digests=digests, labels=labels)

    def feeds(self, doc: CommentedMap) -> tuple[FeedSpec, ...]:
        if "feeds" not in doc:
            self.error(1, "clé « feeds: » obligatoire manquante (la liste des sources)")
            return ()
        seq = doc["feeds"]
        if seq is None:
            return ()
        if not isinstance(seq, CommentedSeq):
            self.error(key_line(doc, "feeds"), "« feeds » doit être une liste (- id: …)")
            return ()
        specs: list[FeedSpec] = []
        seen_ids: dict[str, int | None] = {}
        seen_urls: dict[str, tuple[str, int | None]] = {}
        for i, item in enumerate(seq):
            line = item_line(seq, i)
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
                    key_line(node, "url"),
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
            self.error(key_line(node, "id"), f"identifiant « {feed_id} » invalide ({_SLUG_HELP})")
        kind = self.text(node, "type") or "feed"
        if kind not in FEED_TYPES:
            hint = suggest(kind, FEED_TYPES) or f" ; valeurs : {', '.join(FEED_TYPES)}"
            self.error(key_line(node, "type"), f"type « {kind} » inconnu{hint}")
        url = self.text(node, "url", required=True)
        url_ok = False
        if url is not None and kind in FEED_TYPES:
            problem = _url_problem(url, kind)
            if problem:
                self.error(key_line(node, "url"), problem)
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
        institution = check_institution(self, node)
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
            institution=institution,
        )

    def section(
        self, doc: CommentedMap, key: str, what: str
    ) -> Iterator[tuple[str, Any, int | None]]:
        """(name, body, line) of each entry of a ``name: body`` section with slug names."""
        section = doc.get(key)
        if section is None or self.mapping(section, key_line(doc, key), f"« {key} »") is None:
            return
        for name, body in section.items():
            line = key_line(section, name)
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
            terms = {
                key: tuple(filter(None, (self.term(t, ln) for t, ln in self.strings(node, key))))
                for key in ("match", "weak", "exclude", "ignore")
            }
            hosts = tuple(filter(None, (self.host(h, ln) for h, ln in self.strings(node, "hosts"))))
            label = self.text(node, "label") or name
            rules.append(TagRule(name, label, **terms, hosts=hosts))
        return tuple(rules)

    def labels(
        self, doc: CommentedMap, feed_tags: set[str], themes: set[str]
    ) -> tuple[tuple[str, str], ...]:
        """``labels: {tag: Name}``: the names shown for the feeds' own tags."""
        out = []
        for name, label, line in self.section(doc, "labels", "thème"):
            if name in themes:
                self.error(
                    line,
                    f"« {name} » est un thème : son nom se donne par « label: » sous « tags: »",
                )
            elif name not in feed_tags:
                hint = suggest(name, feed_tags)
                self.error(line, f"« {name} » : aucune source n'a ce thème dans ses « tags »{hint}")
            elif not isinstance(label, str) or not label.strip():
                self.error(line, f"nom du thème « {name} » : un texte non vide est attendu")
            else:
                out.append((name, " ".join(label.split())))
        return tuple(out)

    def term(self, term: str, line: int | None) -> str | None:
        """A term of a theme (``veille.config.rule_terms``): checked for form."""
        problem = term_problem(term)
        if problem:
            self.error(line, problem)
            return None
        return term

    def host(self, pattern: str, line: int | None) -> str | None:
        """A host pattern of ``hosts:`` (``veille.rules.hosts``): checked for form."""
        problem = host_problem(pattern)
        if problem:
            self.error(line, problem)
            return None
        return pattern

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
                    hint = suggest(tag, known_tags)
                    self.error(
                        ln, f"thème « {tag} » inconnu (ni sous « tags: » ni d'une source){hint}"
                    )
        feeds = []
        for feed_id, ln in self.strings(node, "feeds"):
            if feed_id in feed_ids:
                feeds.append(feed_id)
            else:
                self.error(ln, f"source « {feed_id} » inconnue{suggest(feed_id, feed_ids)}")
        query = self.text(node, "query") or ""
        mail = self.mail(node, name) if "mail" in node else None
        notify = check_notify(self, node, name, "mail" in node) if "notify" in node else ()
        une = check_une(self, node, name)
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
            notify=notify,
            une=une,
        )

    def mail(self, parent: CommentedMap, name: str) -> MailSpec | None:
        node = self.mapping(parent["mail"], key_line(parent, "mail"), "« mail »")
        if node is None:
            return None
        self.known_keys(node, MAIL_KEYS, f"dans « mail » de « {name} »")
        before = len(self.errors)
        if "to" not in node:
            self.error(node_line(node), "clé « to » obligatoire manquante (destinataires)")
        addresses = self.strings(node, "to")
        if "to" in node and isinstance(node["to"], CommentedSeq) and not node["to"]:
            self.error(key_line(node, "to"), "« to » : au moins un destinataire")
        for address, ln in addresses:
            if not _EMAIL.match(address):
                self.error(ln, f"adresse e-mail invalide « {address} »")
        at = self.text(node, "at", required=True)
        normalised = ""
        if at is not None:
            try:
                day, hhmm = parse_mail_at(at)
            except ValueError as e:
                self.error(key_line(node, "at"), f"« at » : {e}")
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
