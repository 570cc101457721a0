"""Forms of the duty pages.

Numbers and dates are text fields parsed by the services (:func:`services.parse_int`,
:func:`services.parse_date`), which the Excel import shares, so that every bad value
gets the same Chinese message wherever it comes from.  Select fields do not validate
their choices themselves (``validate_choice=False``): the services check them against
the list, the people and the templates that exist at the time of the POST.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.people.labels import PERSON_KIND_LABELS

from .labels import CADENCE_LABELS, CATEGORIES, STATUS_LABELS

DATE_INPUT = {"type": "date"}
NUMBER_INPUT = {"inputmode": "numeric"}


def choices(mapping: dict, blank: str | None = None) -> list[SelectChoice]:
    """SelectChoice objects from a code → label mapping (with a leading blank choice)."""
    found = [SelectChoice("", blank)] if blank is not None else []
    return found + [SelectChoice(code, label) for code, label in mapping.items()]


def _select(label, mapping=None, **kwargs) -> SelectField:
    return SelectField(label, choices=choices(mapping) if mapping else [], validate_choice=False, **kwargs)


class VersionedForm(FlaskForm):
    """A form that edits an existing row: carries the version it was rendered with."""

    version = HiddenField()


class PersonForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=60)])
    post = StringField(_l("Post"), validators=[Optional(), Length(max=100)],
                       description=_l("e.g. 党组书记、局长 or 党组成员、副局长"))
    kind = _select(_l("Role in the responsibility system"), PERSON_KIND_LABELS)
    user_id = _select(_l("User account"), description=_l("Link the account the person logs in with: "
                                                          "their items then appear under “My items”."))
    sort_order = StringField(_l("Order"), validators=[Optional(), Length(max=10)], render_kw=NUMBER_INPUT)
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class NewListForm(FlaskForm):
    year = StringField(_l("Year"), validators=[DataRequired(_l("Enter the year.")), Length(max=10)],
                       render_kw=NUMBER_INPUT)
    template_id = _select(_l("Start from"))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)],
                        description=_l("Leave empty to use the template's title."))
    submit = SubmitField(_l("Create list"))


class ListForm(VersionedForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    submit = SubmitField(_l("Save"))


class ItemForm(VersionedForm):
    category = _select(_l("Category"), CATEGORIES)
    area = _select(_l("Area"))
    content = TextAreaField(_l("Responsibility"), validators=[DataRequired(_l("Describe the responsibility.")),
                                                             Length(max=2000)], render_kw={"rows": 3})
    measures = TextAreaField(_l("Measures"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    owner_id = _select(_l("Responsible person"))
    lead_unit = StringField(_l("Lead unit"), validators=[Optional(), Length(max=100)])
    cadence = _select(_l("Cadence"), CADENCE_LABELS)
    expected_count = StringField(_l("Expected times in the year"), validators=[Optional(), Length(max=10)],
                                 render_kw=NUMBER_INPUT,
                                 description=_l("Empty: 12 for monthly, 4 quarterly, 2 half-yearly, 1 yearly or once."))
    due_date = StringField(_l("Due date"), validators=[Optional(), Length(max=20)], render_kw=DATE_INPUT,
                           description=_l("Empty: the end of the year."))
    meeting_kind = _select(_l("Meetings that count as records"))
    meeting_unit_id = _select(_l("Held by"),
                              description=_l("Each meeting of this kind the organisation records in its "
                                             "三会一课 ledger counts as one occurrence of the item."))
    submit = SubmitField(_l("Save"))


class RecordForm(VersionedForm):
    occurred_on = StringField(_l("Date"), validators=[DataRequired(_l("Enter the date it was done.")), Length(max=20)],
                              render_kw=DATE_INPUT)
    summary = TextAreaField(_l("What was done"), validators=[DataRequired(_l("Describe what was done.")),
                                                            Length(max=4000)], render_kw={"rows": 3})
    count = StringField(_l("Times"), default="1", validators=[Optional(), Length(max=10)], render_kw=NUMBER_INPUT,
                        description=_l("How many occurrences this record covers (e.g. 2 meetings)."))
    files = MultipleFileField(_l("Evidence files"),
                              description=_l("PDF, JPG, PNG, Word, Excel or OFD; up to 5 files at a time."))
    # A record of a period whose entry has closed is a 补录申请: the reason is required.
    late_request = HiddenField()
    late_reason = TextAreaField(_l("Reason for the late entry (补录)"), validators=[Optional(), Length(max=1000)],
                                render_kw={"rows": 2})
    submit = SubmitField(_l("Save record"))


class ReturnForm(FlaskForm):
    """Return a record to its author: the reason is required (checked by the service)."""

    reason = TextAreaField(_l("Reason for returning"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Return"))


class ApproveForm(FlaskForm):
    """Approve the ticked records (``ids``), or every record the queue's filters match (``all``)."""

    all = HiddenField()
    submit = SubmitField(_l("Approve ticked records"))


class FilesForm(FlaskForm):
    files = MultipleFileField(_l("Add evidence files"))
    submit = SubmitField(_l("Upload"))


class ImportForm(FlaskForm):
    file = FileField(_l("Workbook (.xlsx)"))
    submit = SubmitField(_l("Check and import"))


class ConfirmVersionForm(VersionedForm):
    """A POST button for one row (publish, delete, mark done …) with its version."""

    submit = SubmitField(_l("Confirm"))


class AssignForm(FlaskForm):
    """Bulk assignment on the list page: the ticked items (``items``, read from the
    request's list of values) get one owner."""

    owner_id = _select(_l("Give the ticked items to"))
    items = HiddenField()  # carries the field's errors; the ticks are checkboxes named "items"
    submit = SubmitField(_l("Assign"))


class PublishForm(VersionedForm):
    acknowledge = BooleanField(_l("I have read the problems above and want to publish the list as it is"))
    submit = SubmitField(_l("Publish the list"))


class MoveForm(FlaskForm):
    direction = HiddenField()


class FilterForm(FlaskForm):
    """The list page's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    category = _select(_l("Category"))
    area = _select(_l("Area"))
    owner = _select(_l("Responsible person"))
    status = _select(_l("Status"))
    attention = BooleanField(_l("Overdue or behind schedule only"))
    due = _select(_l("Due"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


def status_choices() -> list[SelectChoice]:
    return choices(STATUS_LABELS, blank=str(_l("All statuses")))


# -- city templates ---------------------------------------------------------------------
class NewTemplateForm(FlaskForm):
    year = StringField(_l("Year"), validators=[DataRequired(_l("Enter the year.")), Length(max=10)],
                       render_kw=NUMBER_INPUT)
    source = _select(_l("Start from"))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)],
                        description=_l("Leave empty for “<year>年度落实全面从严治党（机关党建）主体责任清单”."))
    submit = SubmitField(_l("Create draft"))


class TemplateHeaderForm(VersionedForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    areas = TextAreaField(_l("Areas"), validators=[DataRequired(_l("Give at least one area.")), Length(max=4000)],
                          render_kw={"rows": 8},
                          description=_l("One per line: a code (lower-case letters) and the name, e.g. “political 政治建设”."))
    submit = SubmitField(_l("Save"))


class TemplateItemForm(VersionedForm):
    category = _select(_l("Category"), CATEGORIES)
    area = _select(_l("Area"))
    content = TextAreaField(_l("Responsibility"), validators=[DataRequired(_l("Describe the responsibility.")),
                                                             Length(max=2000)], render_kw={"rows": 3})
    measures = TextAreaField(_l("Measures"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    lead_unit = StringField(_l("Lead unit"), validators=[Optional(), Length(max=100)])
    cadence = _select(_l("Suggested cadence"), CADENCE_LABELS)
    expected_count = StringField(_l("Expected times in the year"), validators=[Optional(), Length(max=10)],
                                 render_kw=NUMBER_INPUT)
    due_month = _select(_l("Due month"))
    submit = SubmitField(_l("Save"))
