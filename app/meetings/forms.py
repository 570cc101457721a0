"""Forms of the meeting ledger."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .labels import CADENCE_LABELS, KIND_LABELS
from .models import MEETING_KINDS
from .services import MINUTES_MAX, TOPIC_MAX


class MeetingForm(FlaskForm):
    """One meeting: when, what, who came, the minutes."""

    kind = SelectField(_l("Kind of meeting"), choices=[], validate_choice=True, default="")
    held_on = DateField(_l("Date held"), validators=[DataRequired(_l("Enter the date of the meeting."))])
    topic = StringField(_l("Topic"), validators=[DataRequired(_l("Enter the topic.")), Length(max=TOPIC_MAX)])
    expected = StringField(_l("Members expected"), validators=[Optional(), Length(max=12)])
    present = StringField(_l("Members present"), validators=[Optional(), Length(max=12)])
    absences = TextAreaField(_l("Absent members"), validators=[Optional(), Length(max=40_000)],
                             render_kw={"rows": 3},
                             description=_l("One per line: the name, then the reason (for example: 张三 因公出差)."))
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=MINUTES_MAX)], render_kw={"rows": 6})
    submit = SubmitField(_l("Record the meeting"))


class VersionForm(FlaskForm):
    """A confirmation button carrying the row's version."""

    version = HiddenField()
    submit = SubmitField(_l("Remove"))


def _cadence_field(kind: str) -> SelectField:
    return SelectField(KIND_LABELS[kind], choices=[SelectChoice(str(k), v) for k, v in CADENCE_LABELS.items()],
                       validate_choice=True)


class CadenceForm(FlaskForm):
    """How often the bureau expects each kind of meeting."""

    general_assembly = _cadence_field("general_assembly")
    committee = _cadence_field("committee")
    group = _cadence_field("group")
    lecture = _cadence_field("lecture")
    theme_day = _cadence_field("theme_day")
    submit = SubmitField(_l("Save"))


assert all(hasattr(CadenceForm, kind) for kind in MEETING_KINDS)


def fill_kinds(form: MeetingForm, kinds) -> None:
    """The kinds this unit holds."""
    form.kind.choices = [SelectChoice(k, KIND_LABELS[k]) for k in kinds]
