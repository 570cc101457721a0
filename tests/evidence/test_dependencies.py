"""The shared packages stand below the features (issue 12, item 2): ``people`` and
``evidence`` import no feature, and no feature imports duties' models, views, forms or
storage — they read duties through its services and labels."""
from __future__ import annotations

import ast
from pathlib import Path

import app

ROOT = Path(app.__file__).parent
FEATURES = ("duties", "findings", "scoring", "reports", "city", "demo", "bureau")


def _imports(package: str) -> list[tuple[str, str]]:
    """(file, imported module) of every import in ``app/<package>``, relative ones resolved."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = ".".join(("app",) + path.relative_to(ROOT).with_suffix("").parts)
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(str(path), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                parent = base[:len(base) - node.level + 1] if node.level else []
                name = ".".join(parent + ([node.module] if node.module else []))
                found += [(str(path), f"{name}.{alias.name}") for alias in node.names]
    return found


def test_people_and_evidence_import_no_feature():
    for package in ("people", "evidence"):
        bad = [(f, m) for f, m in _imports(package) if m.split(".")[:2][-1] in FEATURES and m.startswith("app.")]
        assert bad == [], bad


def test_no_other_package_imports_duties_internals():
    private = ("app.duties.models", "app.duties.views", "app.duties.forms", "app.duties.storage")
    for package in ("findings", "scoring", "reports", "city", "demo", "bureau", "people", "evidence"):
        bad = [(f, m) for f, m in _imports(package) if m.startswith(private)]
        assert bad == [], bad
