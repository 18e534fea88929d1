"""The house rules of ARCHITECTURE.md ("Rooms"), checked on the source: no import cycle, and each room imports
only the rooms below it. Every import counts, also those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "crawler", "spiders", "pipelines")
# What each room may not import (beyond itself); archive/ is the ground floor.
FORBIDDEN = {
    "archive": ("crawler", "spiders", "pipelines", "scrapy", "twisted", "scrapy_redis"),
    "crawler": ("spiders", "pipelines"),
    "pipelines": ("spiders",),
    "spiders": ("pipelines",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imported_names(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module `path` imports: project modules resolved to their file's module, others by top name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in modules else base)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_names(path, modules) for name, path in modules.items()}


def test_the_walk_finds_the_rooms_and_their_imports() -> None:
    graph = import_graph()
    assert {"archive.records", "archive.store", "crawler.addon", "spiders.news", "pipelines.sql"} <= set(graph)
    assert "archive.records" in graph["spiders.news"]  # a real edge: the walk is not blind
    assert "scrapy" in graph["spiders.news"]


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_a_room_imports_only_the_rooms_below_it(room: str) -> None:
    graph = import_graph()
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == room
        for target in targets
        if target.split(".")[0] in FORBIDDEN[room]
    )
    assert offending == []


def test_there_is_no_import_cycle() -> None:
    modules = project_modules()
    graph = {module: {t for t in targets if t in modules} for module, targets in import_graph().items()}
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if target == module:
                continue
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
