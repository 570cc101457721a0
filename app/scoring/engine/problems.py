"""What is wrong with a document: :class:`Problem`, :class:`ScoringError` and the paths
that point into a template or a scores document.

Every other module of the engine reports through these; they depend on nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template or a scores document.

    ``path`` points into the document (``dimensions[2].indicators[0].max_points``,
    ``reviewer.A1``, ``adjustments[0].rule``; empty for the document itself) and
    ``message`` says what is wrong in Chinese, then in English after `` / ``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(文档 / document)'}: {self.message}"


class ScoringError(ValueError):
    """A template or scores document that cannot be used; ``problems`` lists why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        lines = [self.message, *(f"  {problem}" for problem in self.problems)]
        return "\n".join(lines)


_PLAIN_KEY = re.compile(r"^[^\s.\[\]\"']+$")


def key_path(base: str, key: object) -> str:
    """The path of mapping key ``key`` below ``base``: ``base.key``, or ``base["k.y"]``
    when the key has dots, brackets, quotes or spaces."""
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{base}.{text}" if base else text
    return f"{base}[{json.dumps(text, ensure_ascii=False)}]"


def problem_path(*keys: str | int) -> str:
    """The path a :class:`Problem` gives for nested keys, so that callers can match
    problems to their own fields: ``problem_path("dimensions", 2, "code")`` is
    ``dimensions[2].code``, ``problem_path("reviewer", "1.1")`` is ``reviewer["1.1"]``."""
    path = ""
    for key in keys:
        path = f"{path}[{key}]" if isinstance(key, int) else key_path(path, key)
    return path
