"""The bureau's evidence files of duty progress records.

:class:`Attachment` lives here rather than in the duties package because other features
link to it (a finding's evidence copied from a duty record, a score entry's evidence):
they import this module, never duties' models.  Its parent is a duty progress record; the
foreign key and the relationship name the table and the class as strings, so this module
imports no feature.  Moving the class here changed no table (``attachments``).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, IdMixin, TenantModel, TimestampMixin


class Attachment(IdMixin, TimestampMixin, TenantModel):
    """An evidence file of a record.  The bytes live once per content in the bureau's file
    store under their sha256 (the blob key); several rows (records) may share them."""

    __tablename__ = "attachments"
    lock_year_path = "record.item.duty_list.year"

    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("progress_records.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # detected: pdf, jpg, png, docx …
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    # The duty progress record (app.duties.models.ProgressRecord), named by string.
    record = relationship("ProgressRecord", back_populates="attachments")
