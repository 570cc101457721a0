"""A layout process of :class:`app.reports.layoutpool.LayoutPool` (run as a script).

    python app/reports/layoutproc.py STATIC_DIR PARTS_DIR MAX_BYTES MAX_FILES PARENT_PID

Reads one task a line on stdin (JSON: ``key``, ``html``; or ``key``, ``prefix``,
``names`` for a report's page numbers), lays the part (or the numbers) out into the parts
folder unless it is there already (:func:`app.reports.parts.obtain_part`,
:func:`app.reports.parts.obtain_numbers`, under its lock) and answers one line on stdout
(JSON: ``key``, ``laid``, or ``error``).  It ends at the end of its input, and is killed
with its parent.

It imports only what layout needs: the ``app`` and ``app.reports`` packages are stood in
for by empty package modules, so that neither the application (Flask extensions,
SQLAlchemy) nor the reports' views are loaded (1.1 s of the process's start).
"""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path


def _packages() -> None:
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        sys.path.pop(0)  # this folder's docx.py, xlsx.py … must not shadow real packages
    root = here.parent.parent
    sys.path.insert(0, str(root))
    for name, folder in (("app", root / "app"), ("app.reports", here), ("app.ops", root / "app" / "ops")):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(folder)]
            sys.modules[name] = module


def main(argv: list[str]) -> int:
    """Serve layout tasks until stdin ends."""
    static_dir, parts_dir, max_bytes, max_files, parent = argv
    _packages()
    from app.ops.process import die_with_parent

    die_with_parent(int(parent))
    from app.reports import parts
    from app.reports.cache import ReportCache

    store = ReportCache(parts_dir, max_bytes=int(max_bytes), max_files=int(max_files))
    for line in sys.stdin:
        task = json.loads(line)
        try:
            if "names" in task:
                _numbers, laid = parts.obtain_numbers(store, task["key"], task["prefix"], tuple(task["names"]),
                                                      static_dir=static_dir)
            else:
                _part, laid = parts.obtain_part(store, task["key"], task["html"], static_dir=static_dir)
            answer = {"key": task["key"], "laid": laid}
        except Exception as error:  # noqa: BLE001 - reported to the parent, which lays the part out itself
            answer = {"key": task["key"], "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
