"""The house rules, checked on the source: who may import whom, and who commits.

Areas (content, comments, moderation, linkbacks, webhooks, auth, events, ...) talk to
each other through service functions or recorded events, never through each other's
models, routes or tasks, and never in a cycle; the shared layers (web plumbing,
infrastructure, the cache) know no area; one unit of work owns every transaction.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.architecture.imports import API, Edge, area_of, edges, modules

SHARED_LAYERS = {"web", "infra", "cache", "serving"}
# What another area may never reach into: its tables, its HTTP side, its worker side.
PRIVATE_MODULES = {"models", "routes", "taxonomy_routes", "settings_routes", "tasks", "jobs"}
# Entry points and the wiring table: the only modules that may know every area.
ENTRY_POINTS = {"api", "api.app", "api.wiring", "api.cli", "api.server", "api.worker"}


def _area_edges() -> list[Edge]:
    return [
        e
        for e in edges()
        if e.importer not in ENTRY_POINTS
        and area_of(e.importer)
        and area_of(e.imported)
        and area_of(e.importer) != area_of(e.imported)
    ]


def test_no_module_import_cycles():
    graph = defaultdict(set)
    for edge in edges():
        if edge.importer != "api" and edge.imported != "api":  # the package's re-export
            graph[edge.importer].add(edge.imported)
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_area_cycles():
    graph = defaultdict(set)
    for edge in _area_edges():
        graph[area_of(edge.importer)].add(area_of(edge.imported))
    cycle = _find_cycle(graph)
    assert cycle is None, "areas import each other in a cycle: " + " -> ".join(cycle)


def test_shared_layers_know_no_area():
    wrong = [
        f"{e.importer}:{e.line} imports {e.imported}"
        for e in _area_edges()
        if area_of(e.importer) in SHARED_LAYERS and area_of(e.imported) not in SHARED_LAYERS
    ]
    assert not wrong, "\n".join(wrong)


def test_areas_reach_each_other_only_through_services():
    wrong = [
        f"{e.importer}:{e.line} imports {e.imported}"
        for e in _area_edges()
        if area_of(e.imported) not in SHARED_LAYERS
        and e.imported.rsplit(".", 1)[-1] in PRIVATE_MODULES
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_but_the_entry_points_imports_them():
    wrong = [
        f"{e.importer}:{e.line} imports {e.imported}"
        for e in edges()
        if e.imported in ENTRY_POINTS - {"api"} and e.importer not in ENTRY_POINTS
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_unit_of_work_commits():
    allowed = API / "infra" / "unit_of_work.py"
    wrong = []
    for path in modules().values():
        if path == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                wrong.append(f"{path.relative_to(API.parent)}:{node.lineno}")
    assert not wrong, "commit() outside api/infra/unit_of_work.py: " + ", ".join(wrong)


def test_services_never_read_the_request():
    """HTTP is the routes' business: a service reading `request` could not be called by
    a task, the CLI or an importer."""
    http_side = ("routes", "guard", "commenters", "limits")
    wrong = []
    for name, path in modules().items():
        area = area_of(name)
        if area is None or area in SHARED_LAYERS or name.endswith(http_side):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                used = {alias.name for alias in node.names} & {"request", "g", "session"}
                if used:
                    wrong.append(f"{name}:{node.lineno} imports {', '.join(sorted(used))}")
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_a_forbidden_edge():
    """The walk finds imports at all, function-local ones included (it would pass
    vacuously otherwise)."""
    found = {(e.importer, e.imported) for e in edges()}
    assert ("api.wiring", "api.comments.services") in found
    assert ("api.moderation.queue", "api.comments.status") in found
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def _find_cycle(graph) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for following in sorted(graph.get(node, ())):
            if cycle := visit(following):
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if cycle := visit(start):
            return cycle
    return None
