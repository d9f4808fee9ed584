"""The operations kit as the README gives it: the systemd unit and its settings file, and the
backup commands run verbatim on a database the service is writing to."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veille.models import FeedSpec, ParsedEntry
from veille.settings import Settings
from veille.store import Store

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "veille.service"
INSTALLED = "/opt/veille/.venv/bin/veille"


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    return unit


def test_systemd_unit_runs_veille_unprivileged_and_restarts_on_failure() -> None:
    service = _unit()["Service"]
    assert service["User"] == "veille" and service["Group"] == "veille"
    assert service["ExecStart"].split()[:2] == [INSTALLED, "serve"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"  # a refused configuration: no loop
    assert service["EnvironmentFile"] == "/etc/veille/veille.env"
    assert service["StateDirectory"] == "veille"
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    """systemd's own check (unknown keys, bad values), with ExecStart pointed at this
    installation since the check wants an executable there."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(
            "systemd-analyze absent (paquet Debian systemd) : "
            "la vérification par systemd n'a pas lieu"
        )
    veille_bin = Path(sys.executable).parent / "veille"
    unit = tmp_path / "veille.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(veille_bin)))
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_settings_file_example_is_accepted_and_keeps_the_base_in_the_state_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith("VEILLE_")]:
        monkeypatch.delenv(name)
    settings = Settings(_env_file=ROOT / "deploy" / "veille.env")  # type: ignore[call-arg]
    state = "/var/lib/" + _unit()["Service"]["StateDirectory"]
    assert settings.database_url == f"sqlite:///{state}/veille.db"
    assert str(settings.config) == "/etc/veille/feeds.yaml"


def _readme_commands(pattern: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line for line in readme.splitlines() if re.match(pattern, line)]


@pytest.mark.parametrize("program", ["sqlite3", "python3"])
def test_readme_backup_copies_a_database_being_written(tmp_path: Path, program: str) -> None:
    """The README's command, verbatim, while the service has commits still in the WAL file
    (a ``cp`` of veille.db alone would miss them) and another writer holds the write lock."""
    if shutil.which(program) is None:
        pytest.skip(
            f"{program} absent : la commande de sauvegarde correspondante n'est pas essayée"
        )
    [command] = _readme_commands(rf"{program} (-c .*)?.*data/veille\.db.*backup")
    url = f"sqlite:///{tmp_path / 'data' / 'veille.db'}"
    store = Store(url)
    store.migrate()
    store.sync_feeds([FeedSpec("cafe", "https://cafe.example/feed")])
    now = datetime.now(UTC)
    entries = [
        ParsedEntry(key=f"k{i}", guid=f"k{i}", url=None, title=f"Article {i}", published=now)
        for i in range(200)
    ]
    writer = sqlite3.connect(tmp_path / "data" / "veille.db", isolation_level=None)
    try:
        store.save_entries("cafe", entries, now=now - timedelta(minutes=1))
        assert (tmp_path / "data" / "veille.db-wal").stat().st_size > 0
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM entry")  # not committed: the copy must not see it
        done = subprocess.run(
            ["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stderr) == (0, "")
    finally:
        writer.rollback()
        writer.close()
        store.close()
    [copy] = tmp_path.glob("veille-sauvegarde*.db")
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM entry").fetchone() == (200,)
    restored = Store(f"sqlite:///{copy}")
    try:
        restored.migrate()  # a veille database at the current schema: nothing to do
        assert [f.entries for f in restored.feed_states()] == [200]
    finally:
        restored.close()
