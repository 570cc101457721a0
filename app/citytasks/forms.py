"""Forms of the city-task pages.  Every rule is the service's (all problems at once): the
fields only carry what was typed, choices are filled by the views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice

from .labels import SCOPE_LABELS


class TaskForm(FlaskForm):
    """Issue a task."""

    title = StringField(_l("Task title"), render_kw={"maxlength": 200, "autocomplete": "off"})
    body = TextAreaField(_l("What the bureaus must do or send"), render_kw={"rows": 5})
    due_on = StringField(_l("Task deadline"), render_kw={"type": "date"})
    file_required = BooleanField(_l("The answer must include a file"))
    per_branch = BooleanField(_l("Every Party branch of a bureau answers its own part"))
    scope = RadioField(_l("Send to"), choices=[SelectChoice(code, label) for code, label in SCOPE_LABELS.items()], default="all",
                       validate_choice=False)
    category = SelectField(_l("Category of bureaus"), choices=[], validate_choice=False)
    tenant_ids = SelectMultipleField(_l("Bureaus"), choices=[], validate_choice=False, coerce=str,
                                     render_kw={"size": 8})
    notice_files = MultipleFileField(_l("Notice (the document itself)"))
    form_files = MultipleFileField(_l("Forms for the bureaus to fill in"))
    submit = SubmitField(_l("Issue the task"))


class SignForm(FlaskForm):
    """Sign for a task (签收)."""

    version = HiddenField()
    submit = SubmitField(_l("Sign for the task"))


class AnswerForm(FlaskForm):
    """Submit (or resubmit) the bureau's answer."""

    version = HiddenField()
    text = TextAreaField(_l("Answer text"), render_kw={"rows": 5})
    files = MultipleFileField(_l("Files (the filled-in form, materials)"))
    submit = SubmitField(_l("Submit the answer"))


class BranchPartForm(FlaskForm):
    """A branch's part of a per-branch task."""

    version = HiddenField()
    text = TextAreaField(_l("The branch's answer"), render_kw={"rows": 3})
    files = MultipleFileField(_l("Files of the branch"))
    submit = SubmitField(_l("Submit the branch's part"))


class ReviewForm(FlaskForm):
    """Accept or return a bureau's answer."""

    version = HiddenField()
    decision = HiddenField()
    reason = TextAreaField(_l("Reason for returning (what to correct)"), render_kw={"rows": 3})
    accept = SubmitField(_l("Accept the answer"))
    send_back = SubmitField(_l("Return to the bureau"))


class UrgeForm(FlaskForm):
    """督办: remind every bureau that has not answered."""

    submit = SubmitField(_l("Urge the bureaus that have not answered"))
