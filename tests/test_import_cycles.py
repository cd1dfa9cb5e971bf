"""No import cycle crosses apps: the module graph (imports inside functions included) between apps is acyclic.

import-linter (`make lint`) keeps the layering inside trials and the cycles inside each app out; this test looks at
cycles whose modules belong to two or more apps, which import-linter's contracts cannot express."""

import sys

import grimp

APPS = ("accounts", "coach", "compliance", "market_data", "models_catalog", "observability", "security", "trials")


def _cycles(graph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_finder_sees_a_cycle_through_a_function_level_import(tmp_path, monkeypatch):
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def later():\n    from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic", cache_dir=None)
    assert _cycles(graph, set(graph.modules)) == [["cyclic.a", "cyclic.b"]]


def test_no_import_cycle_spans_two_apps():
    graph = grimp.build_graph(*APPS, cache_dir=None)
    modules = {module for module in graph.modules if ".migrations" not in module}
    across = [cycle for cycle in _cycles(graph, modules) if len({module.split(".")[0] for module in cycle}) > 1]
    assert across == []
