"""The engine package stays pure and layered: its modules import the standard library,
PyYAML, jsonschema and each other only (never Flask, the database, ``app.extensions``
or a view or form), and the imports between them run one way, in the order the
package's docstring gives."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import app.scoring.engine as engine

PACKAGE = Path(engine.__file__).resolve().parent
THIRD_PARTY = {"yaml", "jsonschema"}
# The order of app/scoring/engine/__init__.py's docstring: each module imports only
# modules listed before it.
LAYERS = ["problems", "decimals", "documents", "schema", "contract", "scores", "results", "explanation",
          "evaluation"]


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(top-level packages imported from outside, sibling modules imported) of a file."""
    outside: set[str] = set()
    siblings: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                outside.add((node.module or "").split(".")[0])
            elif node.module:
                siblings.add(node.module.split(".")[0])
            else:
                siblings.update(alias.name for alias in node.names)
    return outside - {"__future__"}, siblings


def test_the_modules_are_the_documented_layers() -> None:
    assert sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__") == sorted(LAYERS)


def test_the_engine_imports_nothing_but_the_standard_library_yaml_and_jsonschema() -> None:
    for path in PACKAGE.glob("*.py"):
        outside, _siblings = _imports(path)
        foreign = {name for name in outside if name not in sys.stdlib_module_names and name not in THIRD_PARTY}
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_imports_between_the_modules_run_one_way() -> None:
    for index, name in enumerate(LAYERS):
        _outside, siblings = _imports(PACKAGE / f"{name}.py")
        later = siblings - set(LAYERS[:index])
        assert not later, f"{name}.py imports {sorted(later)}, listed after it (or itself)"


def test_the_public_api_is_exported() -> None:
    assert all(hasattr(engine, name) for name in engine.__all__)
