"""The scoring feature's own error: a template that breaks the contract, with where."""
from __future__ import annotations

from typing import Iterable

from app.errors import ValidationError

from .engine import Problem


class TemplateInvalid(ValidationError):
    """A template (import, publication) broke the contract; ``problems`` says where."""

    def __init__(self, message: str, problems: Iterable[Problem]) -> None:
        super().__init__(message)
        self.problems = list(problems)
