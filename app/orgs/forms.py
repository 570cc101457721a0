"""Forms of the organisation pages.  Choices that depend on the bureau (people, parent
units) are filled in by :func:`fill_choices` before validation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .labels import KIND_LABELS
from .services import NAME_MAX


class UnitForm(FlaskForm):
    """A unit of the tree (a branch user sees only the fields they may change)."""

    name = StringField(_l("Name of the organisation"), validators=[DataRequired(_l("Enter the name.")),
                                                                 Length(max=NAME_MAX)],
                       description=_l("For example: 机关第一党支部."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()], default="branch")
    parent_id = SelectField(_l("Parent organisation"), choices=[], validate_choice=True, default="")
    secretary_id = SelectField(_l("Secretary"), choices=[], validate_choice=True, default="")
    deputy_id = SelectField(_l("Deputy secretary"), choices=[], validate_choice=True, default="")
    organiser_id = SelectField(_l("Organisation committee member"), choices=[], validate_choice=True, default="",
                               description=_l("组织委员: may record the branch's work like its secretary."))
    committee_ids = SelectMultipleField(_l("Committee members"), choices=[], validate_choice=True,
                                        render_kw={"size": 6},
                                        description=_l("Hold Ctrl (⌘ on a Mac) and click to choose several people."))
    member_count = StringField(_l("Party members"), validators=[Optional(), Length(max=12)], default="0")
    elected_on = DateField(_l("Last election"), validators=[Optional()])
    term_years = StringField(_l("Term (years)"), validators=[Optional(), Length(max=12)],
                             description=_l("Usually 5 for a Party committee, 3 for a general branch or a branch."))
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class ImportForm(FlaskForm):
    """The organisation workbook."""

    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(_l("Choose a workbook."))])
    submit = SubmitField(_l("Import"))


class VersionForm(FlaskForm):
    """A confirmation button carrying the row's version."""

    version = HiddenField()
    submit = SubmitField(_l("Remove"))


def fill_choices(form: UnitForm, *, people, parents) -> None:
    """Put the bureau's people and the possible parents into the form's lists."""
    none = SelectChoice("", "—")
    person_choices = [SelectChoice(str(p.id), p.label) for p in people]
    for name in ("secretary_id", "deputy_id", "organiser_id"):
        getattr(form, name).choices = [none] + person_choices
    form.committee_ids.choices = person_choices
    form.parent_id.choices = [SelectChoice("", _l("— none (top of the tree) —"))] + [
        SelectChoice(str(u.id), u.name) for u in parents]
