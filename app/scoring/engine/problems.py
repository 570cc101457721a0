"""What is wrong with a document: :class:`Problem`, :class:`ScoringError` and the paths
that point into a template or a scores document.

Every other module of the engine reports through these; they depend on nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass


class Bilingual(str):
    """A message in both languages: as a string it reads ``中文 / English`` (what the
    command line prints and what callers compared before), and it keeps each half so that
    a page in one language shows only that one (:func:`in_language`)."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str) -> "Bilingual":
        text = super().__new__(cls, f"{zh} / {en}")
        text.zh, text.en = zh, en
        return text


def bi(zh: str, en: str) -> Bilingual:
    """The message ``zh`` in Chinese and ``en`` in English (see :class:`Bilingual`)."""
    return Bilingual(zh, en)


def in_language(message: str, language: str | None) -> str:
    """``message`` in ``language`` (``zh`` or ``en``); both halves for ``None``.  Text
    made elsewhere (a caller's own, already translated message) is returned as it is."""
    if isinstance(message, Bilingual) and language in ("zh", "en"):
        return message.zh if language == "zh" else message.en
    return str(message)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template or a scores document.

    ``path`` points into the document (``dimensions[2].indicators[0].max_points``,
    ``reviewer.A1``, ``adjustments[0].rule``; empty for the document itself) and
    ``message`` says what is wrong, in Chinese then in English after `` / `` (a
    :class:`Bilingual`: :meth:`text` gives one language).
    """

    path: str
    message: str

    def text(self, language: str | None) -> str:
        """The message in ``language`` (``zh``/``en``), or bilingual for ``None``."""
        return in_language(self.message, language)

    @property
    def chinese(self) -> str:
        """The message as a page in Chinese shows it."""
        return self.text("zh")

    def __str__(self) -> str:
        return f"{self.path or '(文档 / document)'}: {self.message}"


class ScoringError(ValueError):
    """A template or scores document that cannot be used; ``problems`` lists why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)

    @property
    def chinese(self) -> str:
        """The message as a page in Chinese shows it."""
        return in_language(self.message, "zh")

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
