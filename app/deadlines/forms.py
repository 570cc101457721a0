"""Forms of the city's deadline settings page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from .labels import APPROVER_LABELS, REVIEW_MODE_LABELS


def _choices(mapping: dict, blank: str | None = None) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(code, label) for code, label in mapping.items()]


class SettingsForm(FlaskForm):
    """N, M, grace days, who approves 补录, the default review mode (checked by the service)."""

    blue_days = StringField(_l("Blue warning: days before the due date"), render_kw={"inputmode": "numeric"})
    yellow_days = StringField(_l("Yellow warning: days before the due date"), render_kw={"inputmode": "numeric"})
    grace_days = StringField(_l("Grace days after a period's deadline"), render_kw={"inputmode": "numeric"},
                             description=_l("Leave blank to keep entry open; after the grace days a late record needs an approved late-entry request."))
    late_approver = SelectField(_l("Who approves late entries"), choices=_choices(APPROVER_LABELS), validate_choice=False)
    review_mode = SelectField(_l("Review of progress records (default)"), choices=_choices(REVIEW_MODE_LABELS),
                              validate_choice=False)
    version = HiddenField()
    submit = SubmitField(_l("Save settings"))


class ReviewModeForm(FlaskForm):
    """The review mode of one template year or one bureau (blank: follow the default)."""

    scope = SelectField(_l("Applies to"), choices=[SelectChoice("template", _l("Template year")),
                                                    SelectChoice("bureau", _l("Bureau"))], validate_choice=False)
    key = StringField(_l("Year or bureau short name"))
    mode = SelectField(_l("Review mode"), choices=_choices(REVIEW_MODE_LABELS, blank=_l("Follow the default")),
                       validate_choice=False)
    submit = SubmitField(_l("Set review mode"))
