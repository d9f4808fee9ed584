"""``python -m bench [--quick] [--retag-1m] [--[no-]postgres] [--out BENCHMARKS.md]``: run,
print, write.

``--quick`` (CI-sized, ~1 min): 100 feeds, a 10k-entry store.
Both modes end with unit costs (``bench/units.py``: clustering a batch, the slowest parse of
the real-world corpus), the bounds that unit tests no longer assert, and the cost of « À la
une » on a week of the mode's largest refresh (``bench/une.py``: 100 or 2,000 sources).
Default (full, ~8.5 min once the stores are cached, ~18 min on a fresh clone): 500 and
2,000 feeds, 100k and 1M entries. The 1M retag takes ~5.5 min by itself:
it is extrapolated from the 100k one unless ``--retag-1m`` is given. The PostgreSQL part
(the largest store's search and list scenarios on PostgreSQL beside SQLite, ``bench/postgres.py``)
runs when asked for (``--postgres``, or ``--only postgres`` alone) and PostgreSQL answers on
127.0.0.1:5432 (``--no-postgres``: never); it is written in its
own block of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from veille.models import Selection
from veille.store import Store

from . import bigstore, corpus, greader, peer, postgres, queries, une, units
from .measure import Stat, fmt_mb, fmt_s, fmt_stat, ratio, repeat, run_child
from .report import (
    GR_BEGIN,
    GR_END,
    PG_BEGIN,
    PG_END,
    PG_HEADERS,
    Row,
    Section,
    faster,
    render,
    verdict,
    write,
)
from .server import CorpusServer


@dataclass(frozen=True)
class Mode:
    name: str
    refresh: tuple[tuple[int, int], ...]  # (feeds, runs)
    cycles: int
    search_feeds: int  # corpus size of the side-by-side search (reader indexes it)
    stores: tuple[int, ...]
    runs: int  # requests per read scenario
    reader_workers: int = 16


QUICK = Mode("quick", ((100, 2),), 3, 100, (10_000,), 20)
FULL = Mode("full", ((500, 2), (2_000, 1)), 3, 500, (100_000, 1_000_000), 50)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def refresh(mode: Mode, work: Path, sections: list[Section], keep: dict[str, Any]) -> None:
    feeds_max = max(n for n, _ in mode.refresh)
    anchor = corpus.default_anchor()
    log(f"corpus : {feeds_max} sources…")
    with Pool(2) as pool:
        size, items = corpus.write_corpus(work / "corpus", feeds_max, anchor, pool)
    floor_n = mode.search_feeds
    floor_s = peer.floor(work / "corpus", floor_n)
    sec = Section(
        "Mise à jour (réseau local, corpus servi par aiohttp avec ETag/304)",
        f"Corpus : {feeds_max} sources, {size / feeds_max / 1000:.0f} Ko et "
        f"{items / feeds_max:.1f} articles par source en moyenne (RSS WordPress, 1 sur 10 en "
        f"Atom), gzip. veille : `open_updater` + `apply_config` + `update()` (2 processus "
        f"d'analyse, 32 requêtes simultanées) ; reader 3.26 : `update_feeds(workers="
        f"{mode.reader_workers})`. Mémoire : pic de la somme des PSS du processus et de ses "
        "enfants (analyseurs compris), échantillonnée toutes les 50 ms. Médiane / p95.",
    )
    with CorpusServer(work / "corpus", feeds_max) as server:
        for feeds, runs in mode.refresh:
            urls = [server.url(f) for f in range(feeds)]
            got: dict[str, list[tuple[dict, int]]] = {"veille": [], "reader": []}
            for run in range(runs):
                for who in ("veille", "reader"):
                    db = work / f"{who}-{feeds}-{run}.db"
                    spec = {
                        "who": who,
                        "db": str(db),
                        "urls": urls,
                        "host_port": server.host_port,
                        "cycles": mode.cycles,
                        "workers": mode.reader_workers if who == "reader" else 2,
                        "search": who == "reader" and feeds == mode.search_feeds,
                    }
                    log(f"mise à jour : {who}, {feeds} sources, essai {run + 1}/{runs}…")
                    result, peak = run_child(spec, timeout=1800)
                    if result["errors"]:
                        log(f"  {who} : {result['errors']} erreurs, p. ex. {result['error']}")
                    got[who].append((result, peak))
                    log(
                        f"  {who} : {result['first']:.1f} s, {result['entries']} articles, "
                        f"cycles {[round(c, 2) for c in result['cycles']]} s, "
                        f"pic {peak / 1e6:.0f} Mo"
                    )
                    if run == runs - 1 and feeds == mode.search_feeds:
                        keep[who] = db
                        if "update_search" in result:
                            keep["update_search"] = result["update_search"]
            _refresh_rows(sec, feeds, got, floor_s if feeds == floor_n else None)
        stats = server.requests()
    sec.note += f" Requêtes servies : {stats['200']} × 200, {stats['304']} × 304."
    if "update_search" in keep:
        sec.add(
            f"reader : `update_search` (index plein texte, {mode.search_feeds} sources)",
            "(inclus ci-dessus)",
            fmt_s(float(keep.pop("update_search"))),  # type: ignore[arg-type]
        )
    sections.append(sec)


def _refresh_rows(
    sec: Section, feeds: int, got: dict[str, list[tuple[dict, int]]], floor_s: float | None
) -> None:
    v = Stat(tuple(r["first"] for r, _ in got["veille"]))
    r = Stat(tuple(r["first"] for r, _ in got["reader"]))
    entries = got["veille"][-1][0]["entries"]
    r_entries = got["reader"][-1][0]["entries"]
    ok = r.median / v.median >= 5
    sec.add(
        f"{feeds} sources : première mise à jour ({entries:,} / {r_entries:,} articles)",
        fmt_stat(v),
        fmt_stat(r),
        ratio(v.median, r.median),
        "≥ ×5 plus rapide",
        verdict(ok),
    )
    sec.add(
        f"{feeds} sources : articles par seconde",
        f"{entries / v.median:,.0f}",
        f"{r_entries / r.median:,.0f}",
    )
    if floor_s:
        sec.add(
            f"{feeds} sources : plancher (expat + nh3, 1 cœur) {fmt_s(floor_s)}",
            f"×{v.median / floor_s:.1f} le plancher",
            f"×{r.median / floor_s:.1f} le plancher",
        )
    vc = Stat(tuple(c for res, _ in got["veille"] for c in res["cycles"]))
    rc = Stat(tuple(c for res, _ in got["reader"] for c in res["cycles"]))
    sec.add(
        f"{feeds} sources : cycle sans changement (tout en 304)",
        fmt_stat(vc),
        fmt_stat(rc),
        ratio(vc.median, rc.median),
        "pas plus lent",
        verdict(vc.median <= rc.median),
    )
    cl = Stat(tuple(res["cluster"] for res, _ in got["veille"]))
    stories, grouped = got["veille"][-1][0]["stories"]
    sec.add(
        f"{feeds} sources : regroupement par histoire (dernière étape de la mise à jour, "
        f"comprise ci-dessus ; {grouped:,} articles en {stories:,} histoires à plusieurs sources)",
        fmt_stat(cl),
    )
    vm = max(p for _, p in got["veille"])
    rm = max(p for _, p in got["reader"])
    row = sec.add(f"{feeds} sources : pic de mémoire", fmt_mb(vm), fmt_mb(rm), ratio(vm, rm))
    if feeds >= 2000:
        row.target, row.verdict = "≤ 2 × reader", verdict(vm <= 2 * rm)


def side_by_side(mode: Mode, keep: dict[str, Any], sections: list[Section]) -> None:
    if "veille" not in keep or "reader" not in keep:
        return
    store = Store(f"sqlite:///{keep['veille']}")
    rdb = peer.ReaderDB(keep["reader"])
    n = store.count_entries()
    sec = Section(
        f"Recherche et listes côte à côte ({mode.search_feeds} sources, {n:,} articles)",
        "Appels de bibliothèque des deux côtés (veille : `Store.list_entries(Selection)`, "
        "50 résultats, du plus récent au plus ancien ; reader : `search_entries(sort=…, "
        "limit=50)` / `get_entries(limit=50)`), résultats matérialisés. Médiane / p95 sur "
        f"{mode.runs} essais.",
    )
    for label, q in queries.SEARCHES:
        v = repeat(lambda q=q: store.list_entries(Selection(query=q, limit=50)), mode.runs)
        r = rdb.search(q, max(mode.runs // 5, 3))
        sec.add(f"recherche {label}", fmt_stat(v), fmt_stat(r), ratio(v.p95, r.p95))
    r_rel = rdb.search("numérique", max(mode.runs // 5, 3), sort="relevant")
    sec.add("recherche « numérique » par pertinence", "non proposé", fmt_stat(r_rel))
    v = repeat(lambda: store.list_entries(Selection(limit=50)), mode.runs)
    sec.add("50 plus récents", fmt_stat(v), fmt_stat(rdb.newest(mode.runs)), "")
    v = repeat(lambda: store.list_entries(Selection(feeds=("s0042",), limit=50)), mode.runs)
    r = rdb.newest(mode.runs, "/0042/feed/")
    sec.add("50 plus récents d'une source", fmt_stat(v), fmt_stat(r), ratio(v.p95, r.p95))
    for row in sec.rows:
        if row.ratio == "" and row.reader and row.veille != "non proposé":
            row.ratio = "—"
    store.close()
    rdb.close()
    sections.append(sec)


def stores(mode: Mode, retag_1m: bool, sections: list[Section], extra: list[str]) -> None:
    largest = max(mode.stores)
    retag_100k: float | None = None
    for size in mode.stores:
        path, facts = bigstore.get_store(size, log)
        label = f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        sec = Section(
            f"Magasin de {facts['entries']:,} articles ({facts['feeds']:,} sources)",
            "Requêtes HTTP dans l'application FastAPI réelle (`create_app`), appelée en "
            "processus (routage, sélection, rendu, gzip ; sans uvicorn ni socket). "
            f"Médiane / p95 sur {mode.runs} requêtes après 2 de chauffe (moins, mais au "
            "moins 3, quand une requête dépasse 8 s au total).",
        )
        if "base" in facts:
            b = facts["base"]
            sec.add(
                "ingestion `save_entries` (tags + FTS), 1 fil",
                f"{b['entries'] / b['save']:,.0f} articles/s",
            )
        sec.add(
            "taille de la base pour 100k articles",
            fmt_mb(facts["size"] * 100_000 / facts["entries"]),
        )
        app = queries.App(path, facts["feeds"], bigstore.STORE_ANCHOR)
        final = size == largest
        for label2, stat, status, _ in app.search(mode.runs):
            row = sec.add(f"GET /api/v1/entries?q= {label2}", fmt_stat(stat))
            _target(row, stat, 0.050, "p95 < 50 ms", final or size == 100_000, status)
        for label2, stat, status, _ in app.lists(mode.runs):
            row = sec.add(f"GET /api/v1/entries?{label2}", fmt_stat(stat))
            _target(row, stat, 0.010, "p95 < 10 ms", final or size == 100_000, status)
        for label2, stat, status, _ in app.pages(mode.runs):
            row = sec.add(label2, fmt_stat(stat))
            if label2.startswith("GET / "):
                _target(row, stat, 0.100, "p95 < 100 ms", final, status)
            elif "(50)" in label2:
                _target(row, stat, 0.030, "p95 < 30 ms", final or size == 100_000, status)
        app.close()
        for error in dict.fromkeys(app.client.errors):
            extra.append(f"- Erreur du serveur ({label}) : `{error[:300]}`")
        if size <= 100_000 or retag_1m:
            log(f"retag de {size:,} articles…")
            seconds, seen, changed = queries.retag(path, facts["feeds"])
            retag_100k = seconds * 100_000 / seen
            how = f"{fmt_s(seconds)} ({seen / seconds:,.0f}/s, {changed} changés)"
        elif retag_100k:
            seconds = retag_100k * size / 100_000
            how = f"≈ {fmt_s(seconds)} (extrapolé de 100k ; `--retag-1m` pour le mesurer)"
        else:
            continue
        limit, target = (60, "< 60 s") if size <= 100_000 else (600, "< 10 min")
        row = sec.add(f"`veille retag` ({label})", how)
        if size in (100_000, 1_000_000):
            row.target, row.verdict = target, verdict(seconds < limit)
        sections.append(sec)


def postgres_part(mode: Mode, sections: list[Section], extra: list[str]) -> bool:
    """The largest store's search and list scenarios on PostgreSQL and on SQLite, same run.
    False (with the reason printed) when PostgreSQL does not answer on 127.0.0.1:5432."""
    reason = postgres.available()
    if reason:
        log(f"partie PostgreSQL sautée : {reason}")
        return False
    size = max(mode.stores)
    path, facts = bigstore.get_store(size, log)
    started = time.perf_counter()
    info = postgres.get_database(path, facts["entries"], log)
    elapsed = time.perf_counter() - started
    version = postgres.server_version()
    sec = Section(
        f"PostgreSQL {version} et SQLite : magasin de {facts['entries']:,} articles "
        f"({facts['feeds']:,} sources)",
        "Les mêmes requêtes HTTP que ci-dessus dans l'application réelle (`create_app`, en "
        "processus), l'une avec `Store('postgresql+psycopg://…@127.0.0.1:5432/"
        f"{info['db']}')`, l'autre sur le fichier SQLite en cache, mesurées dans le même "
        "run. La base PostgreSQL est le magasin SQLite chargé en masse (`bench/postgres.py` : "
        "COPY des lignes, `tsvector` calculé en SQL depuis le texte normalisé de `entry_fts`, "
        "index reconstruits, `VACUUM (ANALYZE)`), gardée entre deux runs tant que le corpus ne "
        "change pas. PostgreSQL tel qu'installé (`shared_buffers` 128 Mo), même machine. "
        f"Médiane / p95 sur {mode.runs} requêtes après 2 de chauffe (moins, mais au moins 3, "
        "quand une requête dépasse 8 s au total). Rapport sur le p95 : ×n, PostgreSQL n fois "
        "plus rapide ; ÷n, n fois plus lent.",
        headers=PG_HEADERS,
    )
    steps = info.get("steps") or {}
    parts = [
        f"{name} {fmt_s(float(steps[k]))}"
        for k, name in [
            ("copy", "COPY des lignes"),
            ("fts_copy", "texte indexé"),
            ("tsvector", "tsvector"),
            ("indexes", "index"),
            ("analyze", "VACUUM ANALYZE"),
        ]
        if k in steps
    ]
    load = fmt_s(float(info["load"])) + (f" ({', '.join(parts)})" if parts else "")
    if info["cached"]:
        load += f", le {info['loaded_at']:%Y-%m-%d} ; base réutilisée ({fmt_s(elapsed)})"
    sec.add("chargement (COPY, tsvector en SQL, index, VACUUM ANALYZE)", load)
    sec.add("taille de la base", fmt_mb(info["size"]), fmt_mb(facts["size"]))
    apps = {
        "pg": queries.App(info["url"], facts["feeds"], bigstore.STORE_ANCHOR),
        "sqlite": queries.App(path, facts["feeds"], bigstore.STORE_ANCHOR),
    }
    got: dict[str, list[tuple[str, Stat, int, int]]] = {}
    for who, app in apps.items():
        log(f"{who} : recherche et listes sur {facts['entries']:,} articles…")
        got[who] = [(f"GET /api/v1/entries?q= {lbl}", *r) for lbl, *r in app.search(mode.runs)]
        got[who] += [(f"GET /api/v1/entries?{lbl}", *r) for lbl, *r in app.lists(mode.runs)]
        app.close()
        for error in dict.fromkeys(app.client.errors):
            extra.append(f"- Erreur du serveur ({who}) : `{error[:300]}`")
    for (label, pg, pg_status, _), (_, sq, sq_status, _) in zip(
        got["pg"], got["sqlite"], strict=True
    ):
        limit, text = (0.050, "p95 < 50 ms") if "?q=" in label else (0.010, "p95 < 10 ms")
        cells = []
        for stat, status in ((pg, pg_status), (sq, sq_status)):
            cell = fmt_stat(stat) if status == 200 else f"HTTP {status}"
            cells.append((cell, "✅" if status == 200 and stat.p95 < limit else "❌"))
        sec.add(
            label,
            cells[0][0],
            cells[1][0],
            faster(pg.p95, sq.p95),
            text,
            f"PG {cells[0][1]} · SQLite {cells[1][1]}",
        )
    sections.append(sec)
    return True


def _target(row: Row, stat: Stat, limit: float, text: str, applies: bool, status: int) -> None:
    if status == 404:
        row.veille, row.verdict = "404", verdict(None)
        row.target = text
        return
    if status != 200:
        row.veille += f" (HTTP {status})"
    if applies or status >= 500:
        row.target, row.verdict = text, verdict(stat.p95 < limit and status == 200)


def greader_part(mode: Mode, args: argparse.Namespace, log: Any) -> None:
    """The Google Reader API with 50 readers (``bench/greader.py``), in its own block; on
    PostgreSQL too with ``--postgres``, or with ``--only greader`` unless ``--no-postgres``."""
    started = time.perf_counter()
    with_pg = bool(args.postgres) or (args.only == "greader" and args.postgres is None)
    section, errors = greader.run(min(mode.stores), mode.runs, with_pg, log)
    more = f", PostgreSQL {postgres.server_version()}" if with_pg else ""
    text = render([section], mode.name, time.perf_counter() - started, errors, more)
    print(text)
    if not args.no_write:
        write(args.out, text, GR_BEGIN, GR_END)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-sized run (< 3 min)")
    parser.add_argument("--retag-1m", action="store_true", help="measure the 1M retag")
    parser.add_argument(
        "--only",
        choices=["refresh", "stores", "units", "postgres", "greader"],
        help="one part only",
    )
    pg = parser.add_mutually_exclusive_group()
    pg.add_argument(
        "--postgres",
        action="store_true",
        default=None,
        help="the largest store on PostgreSQL (127.0.0.1:5432) too (~9 min the first time)",
    )
    pg.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    started = time.perf_counter()
    sections: list[Section] = []
    work = Path(tempfile.mkdtemp(prefix="veille-bench-"))
    keep: dict[str, Any] = {}
    extra: list[str] = []
    pg_sections: list[Section] = []
    pg_extra: list[str] = []
    # PostgreSQL is not one of the benchmark's targets: asked for, it adds ~9 min the
    # first time (loading 1M entries) and ~2.5 min later; `make bench` stays under 20 min.
    with_pg = args.only == "postgres" or (
        args.only not in ("refresh", "greader") and bool(args.postgres)
    )
    status = 0
    pg_started = 0.0
    try:
        if args.only in (None, "refresh"):
            refresh(mode, work, sections, keep)
            side_by_side(mode, keep, sections)
        if args.only in (None, "stores"):
            stores(mode, args.retag_1m, sections, extra)
        if args.only in (None, "units"):
            log("coûts unitaires…")
            sections.append(units.measure(mode.runs))
            log("« à la une »…")
            sections.append(une.measure(mode.refresh[-1][0], mode.runs, log))
        if args.only in (None, "greader"):
            greader_part(mode, args, log)
        if with_pg:
            pg_started = time.perf_counter()
            if not postgres_part(mode, pg_sections, pg_extra) and args.only == "postgres":
                status = 1
    except Exception as e:  # keep what was measured: write it with the error
        (pg_extra if pg_started else extra).append(f"**Interrompu** : {type(e).__name__}: {e}")
        status = 1
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.only != "postgres":
            duration = (pg_started or time.perf_counter()) - started
            text = render(sections, mode.name, duration, extra)
            print(text)
            if not args.no_write:
                write(args.out, text)
        if pg_sections or pg_extra:
            more = f", PostgreSQL {postgres.server_version()}"
            text = render(pg_sections, mode.name, time.perf_counter() - pg_started, pg_extra, more)
            print(text)
            if not args.no_write:
                write(args.out, text, PG_BEGIN, PG_END)
    return status


if __name__ == "__main__":
    sys.exit(main())
