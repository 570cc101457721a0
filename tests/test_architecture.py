"""The shape of the code, checked on its source so a new module is covered without
editing this test: no import circle between the application's modules, and no package
reaching into another feature's views, forms or models.
"""
from __future__ import annotations

import ast
from pathlib import Path

import app as app_package

ROOT = Path(app_package.__file__).parent
#: Packages that hold one feature's pages and rules.  Others may use a feature's
#: ``services`` and ``labels`` (its public modules), never its views, forms or models.
FEATURES = {"duties", "findings", "scoring", "reports", "city", "bureau", "orgs", "meetings", "directory",
            "notifications", "citytasks", "deadlines"}
PRIVATE_MODULES = {"views", "city_views", "forms", "models"}
#: What wires the features together: the application factory (blueprints, seeders,
#: references) and the registry of every model (Alembic needs the whole metadata).
WIRING = {"app", "app.model_registry"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(*, top_level_only: bool = True) -> dict[str, set[str]]:
    """Module → the application modules it imports: when it is imported (``top_level_only``:
    an import inside a function runs later and cannot make a circle at import time), or
    anywhere in it."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (tree.body if top_level_only else ast.walk(tree)):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, node, is_package)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_import_is_the_parent(module: str, target: str) -> bool:
    # ``from . import views`` in a package's __init__ (registering its routes) imports the
    # package's own submodule: not a circle of the code's design.
    return target.startswith(module + ".")


def test_no_import_circle_between_the_applications_modules():
    graph = _imports()
    # A package importing its own submodules at the end of its __init__ is how Flask
    # blueprints attach their views; the submodule importing the package back (for ``bp``)
    # is the expected pair.
    pruned = {module: {t for t in targets if not _package_import_is_the_parent(module, t)}
              for module, targets in graph.items()}
    assert _cycles(pruned) == []


def test_a_circle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_no_package_imports_another_features_views_forms_or_models():
    offences = []
    for module, targets in _imports(top_level_only=False).items():
        if module in WIRING:
            continue
        own = module.split(".")[1] if module.count(".") else ""
        for target in targets:
            parts = target.split(".")
            if len(parts) >= 3 and parts[1] in FEATURES and parts[1] != own and parts[2] in PRIVATE_MODULES:
                offences.append(f"{module} → {target}")
    assert offences == []
