"""The results table: printed, and written into BENCHMARKS.md between two markers."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from .measure import ratio

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
# The PostgreSQL part has its own block, so that ``--only postgres`` keeps the rest.
PG_BEGIN = "<!-- bench:postgres:begin -->"
PG_END = "<!-- bench:postgres:end -->"
# The Google Reader API with its readers (``bench/greader.py``): a block of its own too.
GR_BEGIN = "<!-- bench:greader:begin -->"
GR_END = "<!-- bench:greader:end -->"
HEADERS = ("mesure", "veille", "reader", "rapport", "cible", "verdict")
PG_HEADERS = ("mesure", "PostgreSQL", "SQLite", "rapport (p95)", "cible", "verdict")


def faster(pg: float, sq: float) -> str:
    """×n: PostgreSQL n times faster (p95); ÷n: n times slower."""
    if not pg or not sq:
        return "—"
    return ratio(pg, sq) if sq >= pg else "÷" + ratio(sq, pg)[1:]


@dataclass
class Row:
    label: str
    veille: str
    reader: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "atteint" / "manqué" / "en attente" / ""


@dataclass
class Section:
    title: str
    note: str = ""
    rows: list[Row] = field(default_factory=list)
    headers: tuple[str, ...] = HEADERS

    def add(self, *args: str) -> Row:
        row = Row(*args)
        self.rows.append(row)
        return row


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "en attente"
    return "✅ atteint" if ok else "❌ manqué"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    ram = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cœurs, {ram:.0f} Gio de RAM, {platform.system()} "
        f"{platform.release()}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
    )


def render(
    sections: list[Section], mode: str, duration: float, extra: list[str], more: str = ""
) -> str:
    lines = [
        f"Mode `{mode}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, durée {duration / 60:.1f} min.",
        f"Machine : {machine()}{more}.",
        "",
    ]
    for s in sections:
        lines += [f"### {s.title}", ""]
        if s.note:
            lines += [s.note, ""]
        lines += [
            "| " + " | ".join(s.headers) + " |",
            "|" + "---|" * len(s.headers),
        ]
        for r in s.rows:
            lines.append(
                f"| {r.label} | {r.veille} | {r.reader} | {r.ratio} | {r.target} | {r.verdict} |"
            )
        lines.append("")
    if extra:
        lines += ["### Erreurs", "", *extra, ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path, text: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the figures between the markers of BENCHMARKS.md (or append them)."""
    block = f"{begin}\n{text}{end}"
    old = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    path.write_text(new)
