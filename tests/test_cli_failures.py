"""The CLI fails honestly: a base from a newer veille, a data folder that cannot be made, a
base that cannot be written, a folder that cannot be written, a full disk — each a French
message with the cause and exit 2, no traceback; ``serve`` of a read-only base still serves
pages and feeds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port, veille_env, wait_until
from tests.feedgen import rss
from tests.servers import FeedServer

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

FEEDS = """\
feeds:
  - id: source
    url: {url}
digests:
  jour:
    title: Le jour
    window: 30d
"""


def run(tmp_path: Path, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = veille_env(
        VEILLE_CONFIG=str(tmp_path / "feeds.yaml"), VEILLE_DATABASE_URL=f"sqlite:///{db}"
    )
    return subprocess.run(
        [sys.executable, "-m", "veille", *args],
        cwd=tmp_path,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_honest(result: subprocess.CompletedProcess[str], cause: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert cause in output, output
    assert "Traceback" not in output and "Error:" not in output, output


@pytest.fixture
def config(tmp_path: Path) -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/feed", rss(1, 30))
        (tmp_path / "feeds.yaml").write_text(FEEDS.format(url=server.url("/feed")))
        yield server


def test_a_base_from_a_newer_veille(tmp_path: Path, config: FeedServer) -> None:
    db = tmp_path / "v.db"
    assert run(tmp_path, db, "feeds").returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    assert_honest(run(tmp_path, db, "feeds"), "version plus récente de veille (schéma 0099")


def test_a_data_folder_that_cannot_be_made(tmp_path: Path, config: FeedServer) -> None:
    (tmp_path / "fichier").write_text("")
    result = run(tmp_path, tmp_path / "fichier" / "data" / "v.db", "feeds")
    assert_honest(result, "un élément du chemin est un fichier, pas un dossier")


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """A file or folder that cannot be written, even by root (``chattr +i``)."""
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("chattr absent ou pas root : impossible de rendre la base non modifiable")
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_base(tmp_path: Path, config: FeedServer) -> None:
    db = tmp_path / "v.db"
    env = {"VEILLE_ALLOW_HOSTS": config.host_port}
    assert run(tmp_path, db, "update", "--all", **env).returncode == 0
    with immutable(db):
        assert_honest(run(tmp_path, db, "update", "--all", **env), "la base est en lecture seule")
        # serve: pages and feeds, read-only, and a clear warning.
        port = free_port()
        base = veille_env(
            VEILLE_CONFIG=str(tmp_path / "feeds.yaml"), VEILLE_DATABASE_URL=f"sqlite:///{db}"
        )
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "veille", "serve", "--port", str(port)],
                cwd=tmp_path, env=base, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            page = _get(f"http://127.0.0.1:{port}/digests/jour", log)
            assert "Le jour" in page
            assert "<item>" in _get(f"http://127.0.0.1:{port}/digests/jour.rss", log)
        finally:
            process.terminate()
            process.wait(timeout=15)
        text = log.read_text()
        assert "lecture seule : les pages et les flux sont servis" in text, text
        assert "Traceback" not in text


def test_a_read_only_data_folder(tmp_path: Path, config: FeedServer) -> None:
    """A folder that cannot be written: neither a new base nor the -wal and -shm files of an
    existing one (which SQLite needs even to read it) can be created there."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "v.db"
    cause = f"le dossier {folder} est en lecture seule : SQLite doit pouvoir y créer"
    with immutable(folder):
        assert_honest(run(tmp_path, db, "feeds"), cause)
    assert run(tmp_path, db, "feeds").returncode == 0  # closed cleanly: no -wal, no -shm left
    assert sorted(p.name for p in folder.iterdir()) == ["v.db"]
    with immutable(folder):
        assert_honest(run(tmp_path, db, "update", "--all"), cause)


def test_a_full_disk(tmp_path: Path, config: FeedServer) -> None:
    if os.geteuid() != 0:
        pytest.skip("pas root : impossible de monter un petit disque (tmpfs) pour le remplir")
    disk = tmp_path / "disque"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=False
    )
    if mounted.returncode != 0:
        pytest.skip("montage d'un tmpfs refusé ici : impossible de simuler un disque plein")
    try:
        db = disk / "v.db"
        assert run(tmp_path, db, "feeds").returncode == 0  # migrated: ~300 KB
        filler = disk / "remplissage"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            with pytest.raises(OSError):
                for _ in range(8192):  # bounded: 8 MiB at most
                    os.write(fd, b"\0" * 1024)
        finally:
            os.close(fd)
        config.set("/feed", rss(1, 400, paragraphs=12))
        result = run(tmp_path, db, "update", "--all", VEILLE_ALLOW_HOSTS=config.host_port)
        assert_honest(result, "le disque est plein")
        filler.unlink()  # room again: the base is intact and the update completes
        assert (
            run(tmp_path, db, "update", "--all", VEILLE_ALLOW_HOSTS=config.host_port).returncode
            == 0
        )
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _get(url: str, log: Path) -> str:
    def read() -> str:
        with urllib.request.urlopen(url, timeout=5) as r:
            return str(r.read().decode())

    try:
        return wait_until(read, 30, url)
    except AssertionError:
        raise AssertionError(log.read_text()) from None
