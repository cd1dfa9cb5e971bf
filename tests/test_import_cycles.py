"""No import cycle between apps: taken as packages (every module of an app, imports inside functions included),
the apps import each other in one direction only, so each can be read, tested and changed from the bottom up.

import-linter (`make lint`, pyproject.toml) states the intended layers; this test covers every app Django loads
from this checkout, a new one included, without anyone having to list it."""

import sys
from collections import defaultdict
from pathlib import Path

import grimp
from django.apps import apps

REPO = Path(__file__).resolve().parents[1]


def project_apps() -> list[str]:
    """The apps of this checkout that Django loads (not Django's own nor third-party ones)."""
    return sorted(
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(REPO) and "." not in config.name
    )


def strongly_connected(edges: dict[str, set[str]], nodes: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, set()) & nodes):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(nodes):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def app_imports(graph, packages: list[str]) -> dict[tuple[str, str], list[str]]:
    """(importing app, imported app) -> the module imports that make the edge (migrations left out)."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module in graph.modules:
        if ".migrations" in module:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = module.split(".")[0], imported.split(".")[0]
            if source != target and target in packages and ".migrations" not in imported:
                found[(source, target)].append(f"{module} -> {imported}")
    return found


def app_cycles(packages: list[str]) -> list[str]:
    """Each cycle between apps, with the imports that close it."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    imports = app_imports(graph, packages)
    edges: dict[str, set[str]] = defaultdict(set)
    for source, target in imports:
        edges[source].add(target)
    report = []
    for cycle in strongly_connected(edges, set(packages)):
        lines = [line for (s, t), found in sorted(imports.items()) if s in cycle and t in cycle for line in found]
        report.append(" <-> ".join(cycle) + ":\n  " + "\n  ".join(sorted(lines)))
    return report


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / name / f"{module}.py").write_text(source)


def test_a_cycle_between_packages_is_found_though_no_module_cycle_exists(tmp_path, monkeypatch):
    # low.models <- high.services, and low.checks -> high.walkforward (inside a function): no module imports one
    # that imports it back, yet the two packages depend on each other.
    _package(tmp_path, "low", {"models": "", "checks": "def later():\n    from high import walkforward\n"})
    _package(tmp_path, "high", {"services": "from low import models\n", "walkforward": ""})
    _package(tmp_path, "top", {"views": "from high import services\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    cycles = app_cycles(["high", "low", "top"])
    assert cycles == ["high <-> low:\n  high.services -> low.models\n  low.checks -> high.walkforward"]


def test_every_app_of_the_checkout_is_looked_at():
    assert {"accounts", "coach", "compliance", "market_data", "models_catalog", "trials"} <= set(project_apps())


def test_no_two_apps_import_each_other():
    assert app_cycles(project_apps()) == []
