"""Forms of the findings pages.  Choices that depend on the bureau (people, duty items,
linkable files) are filled in by :func:`fill_choices` before validation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, MultipleFileField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .labels import AREAS, SEVERITIES, SOURCES
from .services import BATCH_MAX, NOTE_MAX, TEXT_MAX


def _choices(mapping: dict, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [SelectChoice(code, label) for code, label in mapping.items()]


class _Details:
    """The finding's own fields (shared by the new-finding and edit forms)."""

    source = SelectField(_l("Finding source"), choices=_choices(SOURCES),
                         validators=[DataRequired(_l("Choose a source from the list."))])
    batch = StringField(_l("Inspection batch"), validators=[Optional(), Length(max=BATCH_MAX)],
                        description=_l("For example: 2026 special inspection of organ Party building."))
    batch_date = DateField(_l("Inspection date"), validators=[Optional()])
    description = TextAreaField(_l("Problem description"), validators=[DataRequired(_l("Describe the problem.")), Length(max=TEXT_MAX)],
                                render_kw={"rows": 4})
    area = SelectField(_l("Problem area"), choices=_choices(AREAS, blank="—"), validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=_choices(SEVERITIES), default="general")
    found_on = DateField(_l("Date found"), validators=[DataRequired(_l("Enter the date found."))])
    due_on = DateField(_l("Rectification deadline"), validators=[DataRequired(_l("Enter the deadline."))])


class _Plan:
    person_id = SelectField(_l("Responsible person"), choices=[], validate_choice=True)
    duty_item_id = SelectField(_l("Related duty item"), choices=[], validate_choice=True)
    measures = TextAreaField(_l("Rectification measures"), validators=[Optional(), Length(max=TEXT_MAX)],
                             render_kw={"rows": 4})


class FindingForm(FlaskForm, _Details, _Plan):
    """A new finding (details, and optionally the responsible person and measures)."""

    submit = SubmitField(_l("Record finding"))


class DetailsForm(FlaskForm, _Details):
    """Change the finding's own fields."""

    version = HiddenField()
    submit = SubmitField(_l("Save"))


class PlanForm(FlaskForm, _Plan):
    """The rectification plan: responsible person, related duty item, measures."""

    version = HiddenField()
    submit = SubmitField(_l("Save plan"))


class NoteForm(FlaskForm):
    """A progress note with evidence."""

    occurred_on = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    text = TextAreaField(_l("Progress made"), validators=[DataRequired(_l("Describe the progress of the rectification.")), Length(max=TEXT_MAX)],
                         render_kw={"rows": 3})
    files = MultipleFileField(_l("Evidence files"),
                              description=_l("PDF, images, Word, Excel or OFD; several files at once."))
    links = SelectMultipleField(_l("Evidence of the related duty item"), choices=[], validate_choice=True,
                                description=_l("Link files already recorded for the duty item."))
    submit = SubmitField(_l("Record progress"))


class TransitionForm(FlaskForm):
    """One workflow step, with its note (the verification note or the reason)."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})
    version = HiddenField()
    submit = SubmitField(_l("Confirm"))


class VersionForm(FlaskForm):
    """A POST button for a versioned row (delete)."""

    version = HiddenField()
    submit = SubmitField(_l("Delete"))


class ConfirmForm(FlaskForm):
    """A POST button with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ImportForm(FlaskForm):
    """An Excel workbook of findings."""

    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(_l("Choose a workbook."))])
    submit = SubmitField(_l("Import"))


class EmailForm(FlaskForm):
    """The address a user's daily reminder e-mail goes to."""

    email = StringField(_l("E-mail address"), validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address such as name@example.gov.cn."))])
    submit = SubmitField(_l("Save"))


def fill_choices(form: FlaskForm, *, people=(), item_groups=(), attachments=()) -> None:
    """Set the bureau-dependent choices of ``form`` (only the fields it has).
    ``item_groups`` is ``[(group label, [ItemChoice])]`` (``services.duty_item_groups``):
    the duty item field keeps them as ``groups`` for the picker's optgroups."""
    if hasattr(form, "person_id"):
        form.person_id.choices = [SelectChoice("", _l("— not assigned —"))] + [
            SelectChoice(str(p.id), p.label) for p in people]
    if hasattr(form, "duty_item_id"):
        form.duty_item_id.groups = list(item_groups)
        form.duty_item_id.choices = [SelectChoice("", _l("— none —"))] + [
            SelectChoice(str(choice.id), choice.label) for _group, choices in item_groups for choice in choices]
    if hasattr(form, "links"):
        form.links.choices = [SelectChoice(str(a.id), a.original_name) for a in attachments]
