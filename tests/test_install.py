"""How veille is installed: the lock files against pyproject.toml, the optional PostgreSQL
driver, the one version number, the Docker image's base and install steps."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import veille

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Each lock file and the extras of pyproject.toml it is written for (see `make lock`).
LOCKS = {"runtime.txt": ["postgresql"], "test.txt": ["postgresql", "test"]}


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: int


def read_lock(name: str) -> dict[str, Pin]:
    """``name==version [; marker] --hash=… …`` entries; a package pinned twice (one version
    per platform) must not happen for the platforms veille runs on."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *hashes = re.split(r"\s+--hash=", line)
        req = Requirement(spec)
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
        if req.marker and not req.marker.evaluate():
            continue  # another platform's package (Windows, Emscripten)
        name_ = canonicalize_name(req.name)
        assert name_ not in pins, f"{name}: {name_} pinned twice"
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}: {line}"
        pins[name_] = Pin(Version(next(iter(req.specifier)).version), len(hashes))
    return pins


def _roots(extras: list[str]) -> list[Requirement]:
    project = PYPROJECT["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return [Requirement(s) for s in specs]


def _applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in extras or {""})


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pins_every_requirement_within_the_ranges_of_pyproject(lock: str) -> None:
    """From pyproject.toml's requirements down through each package's own (read from the
    installed metadata, itself checked against the lock): each one is pinned, hashed, and
    the pin satisfies every range that asks for it."""
    pins = read_lock(lock)
    queue = [(req, frozenset[str]()) for req in _roots(LOCKS[lock])]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        req, parent_extras = queue.pop()
        if not _applies(req, parent_extras):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{lock}: {req} is not locked"
        assert req.specifier.contains(pins[name].version, prereleases=True), (
            f"{lock}: {name}=={pins[name].version} outside {req}"
        )
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        dist = importlib.metadata.distribution(name)
        assert Version(dist.version) == pins[name].version, (
            f"{name} {dist.version} installed, {pins[name].version} locked: run make test"
        )
        queue += [(Requirement(r), frozenset(req.extras)) for r in dist.requires or []]
    assert {name for name, _ in seen} == set(pins), f"{lock}: pins nothing asks for"


def test_locks_agree_on_every_shared_version() -> None:
    """Tests run on the very versions the image ships, and veille is built by the locked
    setuptools, within pyproject.toml's build requirements."""
    runtime, test, build = (read_lock(n) for n in ("runtime.txt", "test.txt", "build.txt"))
    for name, pin in runtime.items():
        assert test[name].version == pin.version, name
    for spec in PYPROJECT["build-system"]["requires"]:
        req = Requirement(spec)
        assert req.specifier.contains(build[canonicalize_name(req.name)].version), spec


def test_the_driver_is_an_extra_and_postgresql_runs_on_the_locked_one() -> None:
    deps = [Requirement(s).name for s in PYPROJECT["project"]["dependencies"]]
    assert "psycopg" not in deps
    assert read_lock("runtime.txt")["psycopg"].version == Version(
        importlib.metadata.version("psycopg")
    )


def test_version_option_prints_the_installed_version() -> None:
    """One version: ``veille/__init__.py``, read by the build into the package metadata."""
    done = subprocess.run(
        [sys.executable, "-m", "veille", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"veille {veille.__version__}\n", "")
    assert importlib.metadata.version("veille") == veille.__version__
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert "version" not in PYPROJECT["project"]


def _veille_without_psycopg(
    tmp_path: Path, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """The real command in a process where the PostgreSQL driver cannot be imported, as after
    ``pip install veille`` without the extra."""
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - id: cafe\n    url: https://cafe.example/feed\n", encoding="utf-8"
    )
    code = (
        "import sys; sys.modules['psycopg'] = sys.modules['psycopg2'] = None; "
        "sys.argv[0] = 'veille'; from veille.cli import main; main()"
    )
    env = {
        **os.environ,
        "VEILLE_CONFIG": str(tmp_path / "feeds.yaml"),
        "VEILLE_DATABASE_URL": database_url,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def test_sqlite_needs_no_postgresql_driver(tmp_path: Path) -> None:
    done = _veille_without_psycopg(tmp_path, f"sqlite:///{tmp_path / 'v.db'}", "feeds")
    assert done.returncode == 0, done.stderr
    assert "cafe" in done.stdout


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql+psycopg://veille@127.0.0.1:9/veille", ""),
        ("postgresql://veille@127.0.0.1:9/veille", "écrivez l'adresse postgresql+psycopg://"),
    ],
)
def test_postgresql_without_its_driver_is_a_french_error(
    tmp_path: Path, url: str, hint: str
) -> None:
    done = _veille_without_psycopg(tmp_path, url, "feeds")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "Base de données inutilisable : le pilote PostgreSQL" in message
    assert "n'est pas installé : installez veille avec l'option postgresql" in message
    assert "pip install 'veille[postgresql]'" in message
    assert hint in message


def test_docker_image_has_an_exact_base_and_installs_the_lock() -> None:
    """No Docker engine here: the Dockerfile's steps are read (the same pip commands run in
    ``make run``/``make test`` on every machine)."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    base = next(line.split()[1] for line in lines if line.startswith("FROM "))
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base
    text = "\n".join(lines)
    assert "pip install --require-hashes -r requirements/build.txt -r requirements/runtime.txt" in (
        text
    )
    assert "pip install --no-deps --no-build-isolation ." in text
    assert re.search(r"^USER veille$", text, re.M)
    assert "HEALTHCHECK" in text and 'VOLUME ["/data"]' in text


def test_every_install_command_takes_exact_hashed_versions() -> None:
    """No ``pip install`` in the Makefile or the Dockerfile resolves a version itself (pip
    included: it comes from build.txt), except the bench's extras, pinned in pyproject.toml;
    uv, which writes the locks, is pinned to an exact version."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    commands = re.findall(r"pip install ([^\n\\&]+)", makefile + dockerfile)
    assert len(commands) >= 6, commands
    loose = [
        c
        for c in commands
        if "--require-hashes" not in c
        and "--no-deps" not in c
        and not re.fullmatch(r"-q uv==\$\(UV_VERSION\)\s*", c)
        and "[bench]" not in c
    ]
    assert loose == []
    assert "--upgrade" not in " ".join(commands)
    assert re.search(r"^UV_VERSION := \d+\.\d+\.\d+$", makefile, re.M)
    assert "pip" in read_lock("build.txt")


def test_the_license_file_is_the_declared_agpl() -> None:
    """pyproject.toml declares AGPL-3.0-or-later; LICENSE is that licence's full text (with
    §13, which asks a network service to offer its source: the footer link of every page,
    tested in test_no_5xx), and the installed metadata carries both."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    head = " ".join(text.split()[:10])
    assert head == "GNU AFFERO GENERAL PUBLIC LICENSE Version 3, 19 November 2007", head
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text
    metadata = importlib.metadata.metadata("veille")
    assert metadata["License-Expression"] == "AGPL-3.0-or-later"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_ci_runs_every_test_and_fails_on_a_skip() -> None:
    """CI (``.ci/run``) runs ``make lint`` and ``make test`` with ``CI=true`` (a skip is then a
    failure, see conftest) and PostgreSQL; ``make test`` selects nothing out (no ``-m``, no
    ``-k``): the slow end-to-end tests — bodies, guessing, no 5xx — run there too, in two
    pytest-xdist processes that each take whole modules."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'^export CI="\$\{CI:-true\}"$', ci, re.M)
    assert re.search(r"^export VEILLE_TEST_POSTGRES_URL=", ci, re.M)
    assert re.findall(r"^make \w+$", ci, re.M) == ["make lint", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n\t(.*)$", makefile, re.M)
    assert recipe and recipe.group(1) == (
        "$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)"
    )
    assert re.search(r"^TEST_WORKERS \?= 2$", makefile, re.M)
    assert "addopts" not in PYPROJECT["tool"]["pytest"]["ini_options"] or not re.search(
        r"(^|\s)-[mk]\b", PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
    )


def test_every_dependency_is_used() -> None:
    """Each package pyproject.toml asks for (the PostgreSQL extra too) is imported by veille,
    or read as a resource (``resources.files("…")``); tzdata is data that zoneinfo reads,
    psycopg the driver SQLAlchemy loads for ``postgresql+psycopg://`` URLs."""
    used: set[str] = set()
    for path in (ROOT / "veille").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'resources\.files\("(\w+)"\)', source))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                used |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
    providers = importlib.metadata.packages_distributions()
    used_dists = {canonicalize_name(d) for name in used for d in providers.get(name, [])}
    asked = {req.name for req in _roots(["postgresql"])} - {"tzdata", "psycopg"}
    assert sorted(n for n in asked if canonicalize_name(n) not in used_dists) == []
