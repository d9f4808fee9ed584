"""The layer contract of ``make lint`` (import-linter, ``[tool.importlinter]``) names every
top-level module and package: a new one must be given its layer, or it would escape the rules
unnoticed. And the import graph has no cycle."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_module_has_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    named = {m.strip() for layer in layers["layers"] for m in re.split(r"[|:]", layer)}
    modules = {
        f"veille.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "veille").iterdir()
        if (p.suffix == ".py" and p.stem not in {"__init__", "__main__"})
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert modules - named == set(), "to add to [tool.importlinter] in pyproject.toml"


def test_no_import_cycle() -> None:
    """No module imports (even through others, even inside a function) one that imports it
    back: the layers read one way."""
    import grimp

    graph = grimp.build_graph("veille")
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for imported in sorted(edges.get(module, ())):
            if state.get(imported) == 1:
                here = [*path, module]
                return [*here[here.index(imported) :], imported]  # the cycle alone
            if imported not in state and (cycle := visit(imported, [*path, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state:
            cycle = visit(module, [])
            assert cycle is None, " → ".join(cycle or [])
