"""The layer contracts of ``make lint`` (import-linter, ``[tool.importlinter]``) name modules
one by one while the package is flat: every module must be named, or a new one would escape
the rules unnoticed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_module_is_under_the_shell_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    shells = next(c for c in config["contracts"] if "shells" in c["name"])
    named = set(shells["source_modules"]) | set(shells["forbidden_modules"])
    modules = {
        f"veille.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "veille").iterdir()
        if (p.suffix == ".py" and p.stem not in {"__init__", "__main__"})
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert modules - named == set(), "to add to [tool.importlinter] in pyproject.toml"
