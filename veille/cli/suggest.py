"""``veille tags suggest``: rule changes learnt from the editors' corrections
(``veille.rules.suggest``), shown numbered with the lines of feeds.yaml each would write;
``--apply 1,3`` writes the chosen ones through the text editor shared with ``opml import``
(``veille.config.yamledit``: comments and layout kept, the result validated before it
replaces the file), ``--retag`` then re-applies the rules to the stored entries."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from veille.cli.common import _config, _fail, _open_store, _out, _settings
from veille.config.load import load_config
from veille.config.yamledit import (
    YamlText,
    append_scalar,
    changed_lines,
    remove_scalar,
    write_validated,
)
from veille.errors import ConfigError
from veille.models import Config
from veille.rules.suggest import Proposal, RuleChange, Suggestions, Verdict, suggest
from veille.rules.tagging import EntryText
from veille.store import Store
from veille.store.corrections import Correction
from veille.text import number, plural, strip_html

# At most this many recent entries are measured (besides the corrected ones): enough to see
# what a term would change, and the measure stays within seconds and bounded memory.
MAX_ENTRIES = 10_000

_KEY_FR = {
    "match": "aux termes du thème",
    "weak": "aux termes faibles du thème",
    "exclude": "aux exclusions du thème",
    "hosts": "aux sites du thème",
}
_FROM_FR = {
    "match": "des termes du thème",
    "weak": "des termes faibles du thème",
    "exclude": "des exclusions du thème",
    "hosts": "des sites du thème",
}


def tags_suggest(
    days: Annotated[
        int, typer.Option(help="Articles récents sur lesquels mesurer (jours).", min=1)
    ] = 90,
    limit: Annotated[int, typer.Option(help="Nombre de propositions montrées.", min=1)] = 20,
    apply: Annotated[
        list[str] | None,
        typer.Option(
            "--apply",
            help="Propositions à écrire dans feeds.yaml : numéros ou codes (ex. 1,3 ou a3f9c2).",
        ),
    ] = None,
    retag: Annotated[
        bool, typer.Option("--retag", help="Après --apply, ré-applique les règles aux articles.")
    ] = False,
    broad: Annotated[
        bool,
        typer.Option(
            "--broad",
            help="Montre aussi les propositions trop larges (plus de 2 % des articles changés).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Résultats en JSON.")] = False,
) -> None:
    """Propose des changements de règles appris des corrections des éditeurs : un terme à
    ajouter, un contexte à ignorer, un terme à retirer — chacun avec les articles qu'il
    changerait et les corrections qu'il satisferait ou contredirait. Rien n'est écrit
    sans --apply."""
    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        corrections = store.corrections()
        found = _measure(store, config, corrections, days, broad)
    finally:
        store.close()
    shown = found.proposals[:limit]
    text = Path(config.path).read_bytes().decode("utf-8")
    if apply:
        chosen = _chosen(apply, shown, found.proposals)
        try:
            new_text = _edit(text, str(config.path), [p.change for p in chosen])
            write_validated(Path(config.path), new_text, "après les changements proposés")
        except ConfigError as e:
            _fail(f"Modification refusée — {e}")
        _report_applied(chosen, text, new_text, config, as_json)
        if retag:
            _retag(settings, Path(config.path))
        elif not as_json:
            _out(
                "Les articles enregistrés gardent leurs thèmes jusqu'au prochain « veille "
                "retag » (un serveur en marche relit feeds.yaml et le fait de lui-même)."
            )
        return
    titles = {c.entry_id: c.title for c in corrections}
    diffs = [_diff(text, str(config.path), p.change) for p in shown]
    if as_json:
        payload = _json(found, shown, diffs, titles, days)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    _print(found, shown, diffs, titles, config, days)


def _measure(
    store: Store, config: Config, corrections: list[Correction], days: int, broad: bool
) -> Suggestions:
    from veille.ingest.service import utcnow

    feed_tags = {f.id: f.tags for f in config.feeds}

    def texts(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, EntryText]]:
        for entry_id, feed, title, summary, content, categories, url in rows:
            yield (
                str(entry_id),
                EntryText(
                    title=title,
                    summary=strip_html(summary),
                    content=strip_html(content),
                    categories=categories,
                    feed_tags=feed_tags.get(feed, ()),
                    url=url,
                ),
            )

    verdicts = [Verdict(c.entry_id, c.tag, c.added) for c in corrections]
    ids = sorted({int(c.entry_id) for c in corrections})
    corrected = dict(texts(store.tagging_fields(ids=ids))) if ids else {}
    recent = islice(store.tagging_fields(utcnow() - timedelta(days=days)), MAX_ENTRIES)
    return suggest(verdicts, corrected, texts(recent), config.tags, broad=broad)


def _describe(change: RuleChange, labels: dict[str, str]) -> str:
    theme = labels.get(change.theme) or change.theme
    if change.key == "ignore":
        return f"Ne plus compter « {change.about} » dans « {change.term} » (thème {theme}, ignore)"
    if change.add:
        return f"Ajouter « {change.term} » {_KEY_FR[change.key]} {theme} ({change.key})"
    return f"Retirer « {change.term} » {_FROM_FR[change.key]} {theme} ({change.key})"


def _effect(p: Proposal) -> str:
    satisfied = plural(len(p.satisfied), "correction satisfaite", "corrections satisfaites")
    broken = plural(len(p.broken), "contredite", "contredites")
    changes = []
    if p.gained:
        changes.append(f"{plural(p.gained, 'article recevrait', 'articles recevraient')} le thème")
    if p.lost:
        changes.append(f"{plural(p.lost, 'article le perdrait', 'articles le perdraient')}")
    return f"{satisfied}, {broken} · " + (", ".join(changes) or "aucun autre article changé")


def _diff(text: str, where: str, change: RuleChange) -> list[tuple[str, int, str]] | str:
    """The lines the change would write, or why it cannot be written (French)."""
    try:
        return changed_lines(text, _edit(text, where, [change]))
    except ConfigError as e:
        return str(e)


def _edit(text: str, where: str, changes: list[RuleChange]) -> str:
    """``text`` with ``changes`` made one after the other (ConfigError when one cannot be)."""
    for change in changes:
        path = ("tags", change.theme, change.key)
        src = YamlText.parse(text, where)
        if change.add:
            text = append_scalar(src, path, change.term)
        else:
            text = remove_scalar(src, path, change.term)
    return text


def _chosen(
    wanted: list[str], shown: tuple[Proposal, ...], every: tuple[Proposal, ...]
) -> list[Proposal]:
    by_code = {p.change.code: p for p in every}
    chosen: list[Proposal] = []
    for item in (w.strip() for value in wanted for w in value.split(",")):
        if item.isdigit() and 1 <= int(item) <= len(shown):
            p = shown[int(item) - 1]
        elif item.lower() in by_code:
            p = by_code[item.lower()]
        else:
            hint = f"numéros de 1 à {len(shown)}" if shown else "aucune proposition"
            _fail(f"proposition inconnue : « {item} » ({hint}, ou un code à 6 caractères)")
        if p not in chosen:
            chosen.append(p)
    return chosen


def _report_applied(
    chosen: list[Proposal], before: str, after: str, config: Config, as_json: bool
) -> None:
    lines = changed_lines(before, after)
    if as_json:
        payload = {
            "applied": [_change_json(p.change) for p in chosen],
            "diff": [{"op": op, "line": n, "text": t} for op, n, t in lines],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    labels = config.tag_labels()
    for p in chosen:  # what was chosen, by number or code: said in words once more
        _out(f"[{p.change.code}] {_describe(p.change, labels)}")
    done = plural(len(chosen), "proposition appliquée", "propositions appliquées")
    _out(f"{Path(config.path).name} modifié ({done}) :")
    for op, n, t in lines:
        _out(f"  {op} {n:>4} {t}")


def _retag(settings: Any, path: Path) -> None:
    from veille.ingest.pipeline import retag_all
    from veille.rules.ruleset import RuleSet

    config = load_config(path)
    store = _open_store(settings, config)
    try:
        seen, changed = retag_all(store, RuleSet.from_config(config))
    finally:
        store.close()
    _out(f"{plural(seen, 'article relu', 'articles relus')}, {changed} avec des thèmes modifiés.")


def _change_json(c: RuleChange) -> dict[str, Any]:
    return {
        "code": c.code,
        "theme": c.theme,
        "key": c.key,
        "action": "add" if c.add else "remove",
        "term": c.term,
        "about": c.about or None,
    }


def _json(
    found: Suggestions,
    shown: tuple[Proposal, ...],
    diffs: list[list[tuple[str, int, str]] | str],
    titles: dict[str, str],
    days: int,
) -> dict[str, Any]:
    return {
        "days": days,
        "max_entries": MAX_ENTRIES,
        "entries": found.entries,
        "corrections": found.verdicts,
        "agreeing": found.agreeing,
        "too_broad": found.too_broad,
        "proposals": [
            _change_json(p.change)
            | {
                "number": n,
                "gained": p.gained,
                "lost": p.lost,
                "satisfied": list(p.satisfied),
                "broken": list(p.broken),
                "examples": list(p.examples),
                "diff": [{"op": op, "line": ln, "text": t} for op, ln, t in d]
                if isinstance(d, list)
                else None,
                "refused": d if isinstance(d, str) else None,
            }
            for n, (p, d) in enumerate(zip(shown, diffs, strict=True), start=1)
        ],
        "unexplained": [
            {
                "entry": v.entry_id,
                "title": titles.get(v.entry_id, ""),
                "tag": v.tag,
                "added": v.added,
                "reason": why,
            }
            for v, why in found.unexplained
        ],
    }


def _print(
    found: Suggestions,
    shown: tuple[Proposal, ...],
    diffs: list[list[tuple[str, int, str]] | str],
    titles: dict[str, str],
    config: Config,
    days: int,
) -> None:
    if not found.verdicts:
        _out("Aucune correction de thème enregistrée : rien à proposer.")
        return
    corrections = plural(found.verdicts, "correction", "corrections")
    agreeing = plural(found.agreeing, "déjà en accord", "déjà en accord")
    _out(
        f"{corrections} de thèmes ({agreeing} avec les règles), mesurées sur "
        f"{plural(found.entries, 'article')} (ceux des {number(days)} derniers jours, au plus "
        f"{number(MAX_ENTRIES)}, et les articles corrigés)."
    )
    if found.agreeing == found.verdicts:
        _out("Les règles s'accordent déjà avec chaque correction : rien à proposer.")
    elif not shown:
        _out("Aucun changement de règle essayé ne satisfait ces corrections.")
    labels = config.tag_labels()
    for n, (p, d) in enumerate(zip(shown, diffs, strict=True), start=1):
        _out("")
        _out(f"{n}. [{p.change.code}] {_describe(p.change, labels)}")
        _out(f"   {_effect(p)}")
        if p.examples:
            _out("   Par exemple : " + " ; ".join(f"« {t[:80]} »" for t in p.examples))
        if isinstance(d, str):
            _out(f"   Impossible à écrire : {d}")
            continue
        _out(f"   {Path(config.path).name} :")
        for op, ln, t in d:
            _out(f"     {op} {ln:>4} {t}")
    if found.too_broad:
        left = plural(
            found.too_broad, "proposition trop large écartée", "propositions trop larges écartées"
        )
        _out("")
        _out(f"{left} (elles changeraient plus de 2 % des articles) : voir --broad.")
    for v, why in found.unexplained:
        verb = "ajouté à" if v.added else "retiré de"
        title = titles.get(v.entry_id, v.entry_id)
        _out(f"Sans proposition : « {v.tag} » {verb} « {title[:80]} » — {why}.")
    if shown:
        _out("")
        _out(
            f"Pour écrire une proposition dans {Path(config.path).name} : veille tags suggest "
            "--apply 1 (ou plusieurs : --apply 1,3 ; ou par son code, qui ne change pas d'une "
            "fois sur l'autre : --apply " + shown[0].change.code + ")."
        )
