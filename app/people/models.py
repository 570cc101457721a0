"""The bureau's responsible people (责任人).

:class:`Person` lives here rather than in the duties package because every feature
names people (an item's owner, a finding's responsible person, reminders): they import
this module, never another feature's models.  Moving the class here changed no table
(``people``).
"""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, IdMixin, TenantModel, TimestampMixin, VersionMixin

PERSON_KINDS = ("secretary", "member", "organ_committee", "discipline", "staff")


class Person(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """Someone who bears responsibility: the secretary, a leadership member, the organ
    committee's secretary, the discipline inspection head, a responsible staff member."""

    __tablename__ = "people"
    lock_year_path = None

    name: Mapped[str] = mapped_column(String(60), nullable=False)
    post: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="member")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The catalog account of this person, if any (a plain id: no FK into the catalog).
    user_id: Mapped[int | None] = mapped_column(BigId, index=True)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.post}）" if self.post else self.name
