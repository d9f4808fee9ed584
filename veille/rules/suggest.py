"""Rule changes learnt from editors' corrections (``veille tags suggest``): pure.

An editor's verdict says that a theme belongs to an entry (``added``) or not. Where the rules
disagree, changes of the theme's rules that would make them agree are proposed:

* the theme was **added** by the editor: a term to add to ``match`` — a content word of the
  entry's title (then of its summary), two consecutive ones, or « X de Y »
  (``candidates.phrases``); or, when one of the theme's ``exclude`` terms vetoes it there,
  that term to remove;
* the theme was **removed** by the editor: for the term that gave it (the reason of the
  tag), a context to ``ignore`` (the term with the word before or after it, « tablette de
  chocolat »: ``candidates.contexts``), or the term to remove from ``match``/``weak`` (a
  host pattern from ``hosts``); or a word of the entry to add to ``exclude`` (« chocolat »),
  proposed only when it satisfies at least ``EXCLUSION_VERDICTS`` verdicts (every word of
  one wrongly tagged entry would veto it there: one verdict says nothing of which word) and
  more verdicts than it changes other entries (``_explains_enough``).

Each candidate is measured by running the tagger with the change over the stored entries
given (``sample``: the command passes the recent ones) and over every corrected entry:

* ``gained`` / ``lost`` — entries *without* a verdict on the theme that would get it / lose
  it (what readers would see change; the corrected ones follow their verdict anyway);
* ``satisfied`` — verdicts on the theme that the rules would now agree with, ``broken`` —
  verdicts they agree with today and would no longer.

Candidates that satisfy no verdict are dropped; so are those that are too broad (they would
change more than 2 % of the entries examined, and more than 20: a word found everywhere is
no theme's term; ``broad=True`` keeps them) and those another candidate of the theme plainly
beats (it satisfies every verdict they do, breaks none they keep, changes no more entries,
and does strictly better on the verdicts). For each verdict its best three are kept.
Ranking: satisfied − broken − ½ × entries changed (highest first), then fewest entries
changed, then the shortest term. An entry that a change would give or take the theme has no
verdict: whether that is right nobody has said. Ranked by satisfied − broken alone, a word
that satisfies two verdicts and changes fifteen other entries came first. Simulated on
hand-labelled real headlines, the five first proposals applied blindly: with verdicts from
the split the rules were tuned on, measured on the other, that order lost 0.013 micro-F1 and
this one nothing; with verdicts from half of the other split, measured on its second half,
0.024 and 0.012. Blindly applied, proposals still cost a little: the editor chooses.

Cost: each entry is tagged once with the whole taxonomy; a change is re-run on an entry only
when it can flip it (an added term only where all its words occur and the theme is not
given, a context or a removal only where it is given), with the changed theme alone (a
theme's tag never depends on another theme's rules) — for an added strong term, with that
term alone and the theme's vetoes and contexts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from veille.models import TagRule
from veille.rules.candidates import contexts, phrases
from veille.rules.tagging import (
    CompiledRules,
    EntryText,
    TagReason,
    compile_rules,
    entry_words,
    tag_words,
)
from veille.rules.terms import atom_key, parse_term
from veille.text import Words, stem, tokens

__all__ = ["Proposal", "RuleChange", "Suggestions", "Verdict", "suggest"]

Key = Literal["match", "weak", "ignore", "exclude", "hosts"]
PER_VERDICT = 3  # best candidates kept for each verdict
CANDIDATES = 40  # candidate terms tried per verdict
EXCLUSION_VERDICTS = 2  # verdicts a new ``exclude`` term must satisfy to be proposed
EXAMPLES = 3
# A change is too broad when it changes more than this share of the entries examined (and
# more than BROAD_MIN): a word found everywhere (« lycée », « scolaire ») is no theme's term.
BROAD_SHARE = 0.02
CHANGED_WEIGHT = 0.5
BROAD_MIN = 20
_ORDER = {"match": 0, "ignore": 1, "weak": 2, "exclude": 3, "hosts": 4}
_PLAIN_TERM = re.compile(r"[^*|+/:]*")  # no prefix, alternative, regex or site: in it


@dataclass(frozen=True, slots=True)
class Verdict:
    """An editor's correction: ``tag`` belongs to the entry ``entry_id`` or not."""

    entry_id: str
    tag: str
    added: bool


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One edit of feeds.yaml: ``term`` added to (or removed from) the list ``key`` of the
    theme ``theme``; for a context (``ignore``), ``about`` is the term it silences."""

    theme: str
    key: Key
    add: bool
    term: str
    about: str = ""

    @property
    def code(self) -> str:
        """A short stable name of the change: the same proposal keeps it from run to run."""
        text = f"{self.theme}\x00{self.key}\x00{int(self.add)}\x00{self.term}"
        return hashlib.sha256(text.encode()).hexdigest()[:6]

    def apply(self, rule: TagRule) -> TagRule:
        terms: tuple[str, ...] = getattr(rule, self.key)
        changed = (*terms, self.term) if self.add else tuple(t for t in terms if t != self.term)
        return replace(rule, **{str(self.key): changed})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change with what it would do (see the module docstring)."""

    change: RuleChange
    gained: int
    lost: int
    satisfied: tuple[str, ...]  # entry ids of the verdicts it satisfies
    broken: tuple[str, ...]
    examples: tuple[str, ...]  # titles of entries it changes (a few)

    @property
    def changed(self) -> int:
        return self.gained + self.lost

    @property
    def score(self) -> float:
        """Satisfied − broken, less half a verdict for each other entry changed (nobody has
        said whether its new theme is right: see the module docstring)."""
        return len(self.satisfied) - len(self.broken) - CHANGED_WEIGHT * self.changed

    def rank(self) -> tuple[float, int, int, int, str]:
        c = self.change
        return (-self.score, self.changed, len(c.term), _ORDER[c.key], c.term)


@dataclass(frozen=True, slots=True)
class Suggestions:
    proposals: tuple[Proposal, ...]
    entries: int  # entries examined (sample and corrected ones)
    verdicts: int  # verdicts on themes of the rules
    agreeing: int  # verdicts the rules already agree with
    unexplained: tuple[tuple[Verdict, str], ...]  # with why nothing is proposed (French)
    too_broad: int = 0  # useful changes left out: they would change too many entries


@dataclass
class _Candidate:
    change: RuleChange
    compiled: CompiledRules
    gains: bool  # the change can only give the theme (else only take it away)
    needed: frozenset[str] | None  # stems an entry must hold to be changed (None: any)
    flips: dict[str, bool] = field(default_factory=dict)  # entry id -> rules' new verdict
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Prepared:
    id: str
    title: str
    fields: tuple[Words | None, ...]
    stems: frozenset[str]
    text: EntryText


def suggest(
    verdicts: Sequence[Verdict],
    corrected: Mapping[str, EntryText],
    sample: Iterable[tuple[str, EntryText]],
    rules: Sequence[TagRule],
    *,
    broad: bool = False,
) -> Suggestions:
    """Proposals from ``verdicts`` (see the module docstring). ``corrected`` holds the
    entries of the verdicts (an entry missing there is skipped), ``sample`` the other stored
    entries to measure on, as ``(id, EntryText)`` (feed tags included). ``broad``: keep the
    changes that are too broad (``too_broad``)."""
    by_name = {r.name: r for r in rules}
    verdicts = [v for v in verdicts if v.tag in by_name and v.entry_id in corrected]
    everything = compile_rules(rules)
    prepared = {i: _prepare(i, e) for i, e in corrected.items()}
    now = {v: v.tag in _tags(everything, prepared[v.entry_id]) for v in verdicts}
    candidates: dict[RuleChange, _Candidate] = {}
    same: dict[tuple[str, str, bool, str], RuleChange] = {}  # one change per atom key
    origins: dict[Verdict, list[RuleChange]] = {}
    unexplained: list[tuple[Verdict, str]] = []
    for v in verdicts:
        if now[v] == v.added:
            continue
        entry, rule = prepared[v.entry_id], by_name[v.tag]
        if v.added:
            changes, why = _to_give(rule, entry), "aucun mot du titre ni du résumé ne convient"
        else:
            changes, why = _to_take(rule, entry, everything)
        changes = [same.setdefault(_key(c), c) for c in changes]
        origins[v] = list(dict.fromkeys(changes))
        for change in changes:
            if change not in candidates:
                candidates[change] = _candidate(change, by_name[change.theme])
        if not changes:
            unexplained.append((v, why))
    verdict_of = {(v.entry_id, v.tag): v for v in verdicts}
    seen = 0
    for entry in _entries(prepared, sample):
        seen += 1
        _measure(entry, candidates, everything, verdict_of)
    proposals = {c.change: _proposal(c, verdicts, now) for c in candidates.values()}
    useful = [p for p in proposals.values() if p.satisfied and _explains_enough(p)]
    most = max(BROAD_MIN, int(BROAD_SHARE * seen))
    too_broad = {p.change for p in useful if p.changed > most}
    if not broad:
        useful = [p for p in useful if p.change not in too_broad]
    kept: set[RuleChange] = set()
    for v, changes in origins.items():
        mine = [p for p in useful if p.change.theme == v.tag and v.entry_id in p.satisfied]
        mine = [p for p in mine if not any(_dominates(q, p) for q in useful)]
        kept.update(p.change for p in sorted(mine, key=Proposal.rank)[:PER_VERDICT])
        if changes and not mine:
            unexplained.append((v, "aucune modification essayée ne suffit"))
    return Suggestions(
        proposals=tuple(sorted((proposals[c] for c in kept), key=Proposal.rank)),
        entries=seen,
        verdicts=len(verdicts),
        agreeing=sum(now[v] == v.added for v in verdicts),
        unexplained=tuple(unexplained),
        too_broad=len(too_broad) if not broad else 0,
    )


def _explains_enough(p: Proposal) -> bool:
    """A new veto must satisfy ``EXCLUSION_VERDICTS`` verdicts — any word of one wrongly
    tagged entry would veto it (« noir », « fête »…), a word shared by several is a sign —
    and change fewer entries without verdict than it satisfies: it takes the theme wherever
    its word stands, from entries nobody has judged (blindly applied, « annoncé » vetoing
    ``ressources``, 3 verdicts for 3 such entries, cost a right tag on labelled headlines)."""
    new_veto = p.change.key == "exclude" and p.change.add
    return not new_veto or EXCLUSION_VERDICTS <= len(p.satisfied) > p.changed


def _dominates(q: Proposal, p: Proposal) -> bool:
    """Whether ``q`` is plainly better than ``p``: on the same theme, it satisfies every
    verdict ``p`` does, breaks none that ``p`` keeps, changes no more entries, and is
    strictly better on the verdicts."""
    if q.change.theme != p.change.theme or q is p or q.changed > p.changed:
        return False
    sq, sp, bq, bp = set(q.satisfied), set(p.satisfied), set(q.broken), set(p.broken)
    return sq >= sp and bq <= bp and (sq > sp or bq < bp)


def _prepare(entry_id: str, text: EntryText) -> _Prepared:
    fields = entry_words(text)
    stems = frozenset(s for f in fields if f is not None for s in f.stems)
    return _Prepared(entry_id, text.title, fields, stems, text)


def _entries(
    prepared: Mapping[str, _Prepared], sample: Iterable[tuple[str, EntryText]]
) -> Iterator[_Prepared]:
    yield from prepared.values()
    for entry_id, text in sample:
        if entry_id not in prepared:
            yield _prepare(entry_id, text)


def _tags(compiled: CompiledRules, entry: _Prepared) -> dict[str, TagReason]:
    return tag_words(entry.fields, entry.text.feed_tags, compiled, entry.text.url)


def _has(compiled: CompiledRules, entry: _Prepared, theme: str) -> bool:
    return theme in _tags(compiled, entry)


def _key(change: RuleChange) -> tuple[str, str, bool, str]:
    """Changes with equal keys have equal effects (« lycée » and « lycées »)."""
    return change.theme, change.key, change.add, atom_key(change.term)


def _candidate(change: RuleChange, rule: TagRule) -> _Candidate:
    gains = change.add != (change.key in ("ignore", "exclude"))
    if change.key == "match" and change.add and len(parse_term(change.term)) == 1:
        # Measured only where the theme is not given: there a strong term gives it alone,
        # unless it is vetoed or in an ignored context. The theme's other terms need not
        # be looked for again (a much smaller index, for every entry).
        alone = TagRule(rule.name, rule.label, (change.term,), rule.exclude, ignore=rule.ignore)
        return _Candidate(change, compile_rules([alone]), gains, _needed(change))
    return _Candidate(change, compile_rules([change.apply(rule)]), gains, _needed(change))


def _needed(change: RuleChange) -> frozenset[str] | None:
    """The stems every entry that the change can flip holds (None: no such shortcut)."""
    if change.key == "hosts" or not _PLAIN_TERM.fullmatch(change.term):
        return None  # a veto of plain words needs them too
    return frozenset(stem(t) for t in tokens(change.term)) or None


def _measure(
    entry: _Prepared,
    candidates: Mapping[RuleChange, _Candidate],
    everything: CompiledRules,
    verdict_of: Mapping[tuple[str, str], Verdict],
) -> None:
    before: dict[str, TagReason] | None = None  # the themes the rules give it today
    for c in candidates.values():
        if c.needed is not None and not c.needed <= entry.stems:
            continue
        theme = c.change.theme
        if before is None:
            before = _tags(everything, entry)
        if (theme in before) == c.gains:
            continue  # already what the change can make of it
        after = _has(c.compiled, entry, theme)
        if after != (theme in before):
            c.flips[entry.id] = after
            if (entry.id, theme) not in verdict_of and len(c.examples) < EXAMPLES:
                c.examples.append(entry.title)


def _proposal(c: _Candidate, verdicts: Sequence[Verdict], now: Mapping[Verdict, bool]) -> Proposal:
    theme = c.change.theme
    mine = [v for v in verdicts if v.tag == theme]
    judged = {v.entry_id for v in mine}
    after = {v: c.flips.get(v.entry_id, now[v]) for v in mine}
    return Proposal(
        change=c.change,
        gained=sum(1 for i, a in c.flips.items() if a and i not in judged),
        lost=sum(1 for i, a in c.flips.items() if not a and i not in judged),
        satisfied=tuple(v.entry_id for v in mine if now[v] != v.added and after[v] == v.added),
        broken=tuple(v.entry_id for v in mine if now[v] == v.added and after[v] != v.added),
        examples=tuple(c.examples),
    )


# --- candidates ------------------------------------------------------------------------------


def _to_give(rule: TagRule, entry: _Prepared) -> list[RuleChange]:
    """Changes that could give ``rule``'s theme to ``entry``."""
    changes = []
    for term in rule.exclude:  # a veto found in the entry: without it the theme may come
        without = compile_rules(
            [replace(rule, exclude=tuple(t for t in rule.exclude if t != term))]
        )
        if _has(without, entry, rule.name):
            changes.append(RuleChange(rule.name, "exclude", False, term))
    known = {atom_key(t) for t in rule.match}  # a weak term may become a strong one
    for phrase in phrases(entry.text.title, entry.text.summary):
        if atom_key(phrase) not in known and len(changes) < CANDIDATES:
            known.add(atom_key(phrase))
            changes.append(RuleChange(rule.name, "match", True, phrase))
    return changes


def _to_take(
    rule: TagRule, entry: _Prepared, compiled: CompiledRules
) -> tuple[list[RuleChange], str]:
    """Changes that could take ``rule``'s theme from ``entry`` (and why none, in French)."""
    reason = _tags(compiled, entry).get(rule.name)
    if reason is None or reason.field == "source":
        return [], "thème donné par la source elle-même (ses « tags »)"
    if reason.field == "link":
        return [RuleChange(rule.name, "hosts", False, reason.term)], ""
    named = [reason.term] if reason.term in (*rule.match, *rule.weak) else reason.term.split(" + ")
    changes = []
    for term in named:
        key: Key = "match" if term in rule.match else "weak"
        if term not in (*rule.match, *rule.weak):
            continue
        around = contexts(
            term, entry.fields, (entry.text.title, entry.text.summary, entry.text.content)
        )
        changes += [RuleChange(rule.name, "ignore", True, c, term) for c in around]
        changes.append(RuleChange(rule.name, key, False, term))
    known = {atom_key(t) for t in rule.ignore}
    unique = [
        c for c in dict.fromkeys(changes) if c.key != "ignore" or atom_key(c.term) not in known
    ]
    # A word of the entry that would veto the theme (« chocolat » for ``tablette*``): kept
    # only if it explains several verdicts (``EXCLUSION_VERDICTS``, in ``suggest``).
    own = {atom_key(t) for t in (*rule.match, *rule.weak, *rule.exclude)}
    for phrase in phrases(entry.text.title, entry.text.summary):
        if len(unique) >= CANDIDATES:
            break
        if atom_key(phrase) not in own:
            own.add(atom_key(phrase))
            unique.append(RuleChange(rule.name, "exclude", True, phrase))
    return unique, "le terme en cause n'est pas un mot de la liste"
