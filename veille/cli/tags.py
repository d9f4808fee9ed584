"""``veille tags …``: trying the theme rules — ``test`` on stored entries (a dry run),
``eval`` against a labelled sample (how well they tag, theme by theme), ``suggest`` rule
changes learnt from the editors' corrections (``cli/suggest.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from veille.cli.common import FIELD_FR, _config, _fail, _open_store, _settings, out
from veille.cli.suggest import tags_suggest
from veille.config.load import load_config
from veille.errors import ConfigError
from veille.models import Config
from veille.text import number, plural

tags_app = typer.Typer(
    help="Thèmes : essai et mesure des règles, propositions apprises des corrections.",
    no_args_is_help=True,
)
tags_app.command("suggest")(tags_suggest)

SPLITS = ("dev", "train", "all")


@tags_app.command("test")
def tags_test(
    days: Annotated[int, typer.Option(help="Période examinée (jours).", min=1)] = 30,
) -> None:
    """Essai à blanc des règles de feeds.yaml sur les articles récents (rien n'est écrit)."""
    from datetime import timedelta

    from veille.ingest.service import utcnow
    from veille.rules.preview import preview
    from veille.rules.ruleset import RuleSet

    settings = _settings()
    config = _config(settings)
    store = _open_store(settings, config)
    try:
        rules = RuleSet.from_config(config)
        since = utcnow() - timedelta(days=days)
        report = preview(store.tagging_fields(since), rules)
        stored = store.tag_counts(since)
    finally:
        store.close()
    period = "du dernier jour" if days == 1 else f"des {number(days)} derniers jours"
    out.print(f"{plural(report.entries, 'article')} {period}.", highlight=False)
    table = Table("thème", "articles", "actuellement", "exemples (terme → champ)")
    labels = config.tag_labels()
    for name, count in sorted(report.counts.items(), key=lambda kv: -kv[1]):
        examples = "\n".join(
            f"{title[:70]} ({reason.shown} → {FIELD_FR.get(reason.field, reason.field)})"
            for title, reason in report.samples.get(name, [])
        )
        table.add_row(labels.get(name) or name, str(count), str(stored.get(name, 0)), examples)
    out.print(table)
    out.print(f"Sans thème : {plural(report.untagged, 'article')}.", highlight=False)
    for title in report.untagged_samples:
        out.print(f"  - {title}", highlight=False, markup=False)


@tags_app.command("eval")
def tags_eval(
    file: Annotated[
        Path, typer.Argument(help="Articles étiquetés (JSON : title, summary, url, tags, split).")
    ],
    split: Annotated[
        str, typer.Option(help="Partie mesurée : dev, train ou all (tous les articles).")
    ] = "all",
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Règles à mesurer (sinon feeds.yaml, VEILLE_CONFIG)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Résultats en JSON.")] = False,
    worst: Annotated[int, typer.Option(help="Nombre de pires erreurs montrées.", min=0)] = 10,
    half: Annotated[
        str | None,
        typer.Option(
            help="Moitié fixe des articles (a ou b, tirée de leur lien) : régler sur l'une, "
            "vérifier sur l'autre."
        ),
    ] = None,
) -> None:
    """Mesure les règles de thèmes sur des articles étiquetés à la main : ensemble exact,
    précision, rappel et F1 par thème, confusions et pires erreurs (avec leurs raisons)."""
    from veille.rules.evaluation import HALVES, evaluate, read_labelled
    from veille.rules.evaluation import half as half_of
    from veille.rules.tagging import EntryText, compile_rules, tag

    if split not in SPLITS:
        _fail(f"partie inconnue « {split} » (attendu : {', '.join(SPLITS)})")
    if half is not None and half not in HALVES:
        _fail(f"moitié inconnue « {half} » (attendu : {', '.join(HALVES)})")
    config = _rules_config(config_file)
    try:
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except OSError as e:
        _fail(f"{file} : lecture impossible ({e.strerror or e})")
    except UnicodeDecodeError:
        _fail(f"{file} : le fichier n'est pas en UTF-8")
    except json.JSONDecodeError as e:
        _fail(f"{file}, ligne {e.lineno} : JSON invalide ({e.msg})")
    try:
        items = read_labelled(data)
    except ValueError as e:
        _fail(f"{file} : {e}")
    if split != "all":
        items = [i for i in items if i.split == split]
        if not items:
            _fail(f"{file} : aucun article de la partie « {split} »")
    if half is not None:
        items = [i for i in items if half_of(i) == half]
        if not items:
            _fail(f"{file} : aucun article dans la moitié « {half} »")
    compiled = compile_rules(config.tags)
    report = evaluate(
        items,
        lambda i: tag(EntryText(title=i.title, summary=i.summary, url=i.url or None), compiled),
        [r.name for r in config.tags],
    )
    if as_json:
        payload = {"file": str(file), "split": split, "half": half, "config": str(config.path)}
        payload |= report.as_json(worst)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    part = "tous les articles" if split == "all" else f"partie « {split} »"
    if half is not None:
        part += f", moitié « {half} »"
    out.print(
        f"{plural(report.items, 'article étiqueté', 'articles étiquetés')} ({part}) de "
        f"{file.name}, règles de {config.path}.",
        highlight=False,
        markup=False,
    )
    micro = report.micro
    exact = sum(r.exact for r in report.results)
    out.print(
        f"Ensemble exact : {_dec(report.exact_accuracy)} ({exact}/{report.items})\n"
        f"Micro : précision {_dec(micro.precision)} · rappel {_dec(micro.recall)} · "
        f"F1 {_dec(micro.f1)}\n"
        f"Sans thème mais étiquetés quand même : {report.untagged_given}/{report.untagged} "
        f"({number(100 * report.untagged_given_rate, 1)} %)",
        highlight=False,
    )
    table = Table("thème", "étiquetés", "donnés", "précision", "rappel", "F1")
    known = {r.name for r in config.tags}
    for t in report.themes:
        name = t.theme if t.theme in known else f"{t.theme} (absent des règles)"
        table.add_row(
            name,
            str(t.labelled),
            str(t.given),
            _dec(t.precision) if t.given else "—",
            _dec(t.recall) if t.labelled else "—",
            _dec(t.f1) if t.given or t.labelled else "—",
        )
    out.print(table)
    confusions = report.confusions()
    if confusions:
        out.print("Confusions (attendu → donné : articles) :", highlight=False)
        for expected, given, n in confusions[:15]:
            out.print(
                f"  {expected or '(aucun)'} → {given or '(aucun)'} : {n}",
                highlight=False,
                markup=False,
            )
    shown = report.worst(worst)
    if shown:
        out.print("Pires erreurs :", highlight=False)
    for r in shown:
        out.print(f"  • {r.item.title[:110]}", highlight=False, markup=False)
        expected = ", ".join(sorted(r.item.tags)) or "aucun thème"
        out.print(f"    attendu : {expected}", highlight=False, markup=False)
        given = "; ".join(
            f"{name} ({reason.shown} → {FIELD_FR.get(reason.field, reason.field)})"
            for name, reason in sorted(r.given.items())
        )
        out.print(f"    donné : {given or 'aucun thème'}", highlight=False, markup=False)


def _rules_config(path: Path | None) -> Config:
    if path is None:
        return _config(_settings())
    if not path.is_file():
        _fail(f"fichier introuvable : {path}")
    try:
        return load_config(path)
    except ConfigError as e:
        _fail(f"Configuration refusée — {e}")


def _dec(value: float) -> str:
    return number(value, 2)
