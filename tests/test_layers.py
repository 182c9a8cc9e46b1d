"""The import structure as a contract: no way back up.

- No module-level import cycle in `portal`, except Flask's blueprint idiom (a package defines
  its blueprint and imports its own view modules, which import the blueprint back).
- `portal.domain` (pure rules) imports nothing of the portal outside itself, at any level,
  and has no cycle inside, even through imports inside functions.
- Models import only models and the database plumbing, at any level.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "portal"
PLUMBING = {"portal.extensions", "portal.models_base", "portal.auth.roles"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in ROOT.rglob("*.py")}


def _imports(module: str, *, anywhere: bool) -> set[str]:
    """The portal modules `module` imports: at module level, or anywhere in it."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if anywhere else tree.body
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("portal")}
    return {m for m in found if m in MODULES and m != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _blueprint_idiom(component: list[str]) -> bool:
    package = component[0]
    return all(m == package or m.startswith(package + ".") for m in component)


def test_no_import_cycle_but_the_blueprint_idiom():
    graph = {m: _imports(m, anywhere=False) for m in MODULES}
    assert [c for c in _cycles(graph) if not _blueprint_idiom(c)] == []


def test_the_domain_is_pure_and_acyclic():
    domain = [m for m in MODULES if m.startswith("portal.domain")]
    graph = {m: _imports(m, anywhere=True) for m in domain}
    outside = {m: sorted(d for d in deps if not d.startswith("portal.domain"))
               for m, deps in graph.items()}
    assert {m: d for m, d in outside.items() if d} == {}
    assert _cycles(graph) == []


def test_models_import_only_models_and_plumbing():
    wrong = {}
    for module in MODULES:
        if module.endswith(".models"):
            bad = sorted(d for d in _imports(module, anywhere=True)
                         if not d.endswith(".models") and d not in PLUMBING)
            if bad:
                wrong[module] = bad
    assert wrong == {}


def test_the_contract_sees_a_cycle():
    """The cycle finder itself: a cycle through two packages is found, the idiom is not."""
    graph = {"portal.a": {"portal.b"}, "portal.b": {"portal.a"},
             "portal.c": {"portal.c.views"}, "portal.c.views": {"portal.c"}}
    cycles = _cycles(graph)
    assert sorted(cycles) == [["portal.a", "portal.b"], ["portal.c", "portal.c.views"]]
    assert [c for c in cycles if not _blueprint_idiom(c)] == [["portal.a", "portal.b"]]


# The lower layers and what they may import (at any level). Areas above them (cases,
# certificates, campaigns, register, demo, ...) are reached only through the app factory.
CORE = ("portal.domain", "portal.clock", "portal.config", "portal.extensions",
        "portal.models_base", "portal.labels", "portal.logs", "portal.public_url",
        "portal.pages", "portal.refusals", "portal.uow", "portal.errors", "portal.redirects")
PLATFORM = ("portal.auth", "portal.audit", "portal.access", "portal.rls", "portal.tenancy")
LOWER = {
    "portal.domain": ("portal.domain",),
    "portal.reference": CORE + ("portal.reference", "portal.auth.roles", "portal.audit"),
    "portal.tenancy": CORE + PLATFORM + ("portal.reference", "portal.rosters.models"),
    "portal.rosters": CORE + PLATFORM + ("portal.reference", "portal.rosters"),
}


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_lower_layers_import_nothing_from_above():
    wrong = {}
    for module in MODULES:
        layer = next((name for name in LOWER if _within(module, (name,))), None)
        if layer is None:
            continue
        allowed = LOWER[layer]
        bad = sorted(d for d in _imports(module, anywhere=True)
                     if not _within(d, allowed) and not d.endswith(".models"))
        if bad:
            wrong[module] = bad
    assert wrong == {}
