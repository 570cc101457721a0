"""Forms of the score-sheet pages.

The sheet forms are built per template (one field per indicator, one per deduction
rule); their field names are positional (``i3``, ``i3_r1``, ``i3_note``, ``i3_ev``) so
that any indicator or rule code is safe in HTML.  Numbers are parsed strictly here
(digits and at most two decimals: no exponents, no NaN) and every rule about the values
themselves (ranges, levels, rules) is checked by the engine in the services.

The template editor is one form over the whole tree (dimensions → indicators → rules or
levels, and the settings lists); its buttons post an operation such as
``add:dimensions/0/indicators`` that :func:`apply_op` performs on the body.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from .labels import KIND_LABELS, METHOD_LABELS
from .services import NOTE_MAX, EntryInput, indicators_of, parse_points, strip_controls

NOT_RATED = ""


# ----------------------------------------------------------------------------- bases
class _CleanMeta:
    """Every field of the scoring forms drops control characters (NUL and the other C0
    controls but tab and line breaks) from what is posted: PostgreSQL refuses NUL in
    text, and none of them belongs in a note, a name or a code."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
        if issubclass(unbound_field.field_class, (FieldList, FormField)):
            return unbound_field.bind(form=form, **options)  # their entries are forms of their own
        filters = [*unbound_field.kwargs.get("filters", ()), strip_controls]
        return unbound_field.bind(form=form, filters=filters, **options)


class ScoringForm(FlaskForm):
    """Base of the scoring pages' forms (see :class:`_CleanMeta`)."""

    class Meta(_CleanMeta):
        """Flask-WTF's CSRF meta, with the control-character filter."""


class ScoringSubForm(Form):
    """Base of the tree editor's nested entries (see :class:`_CleanMeta`)."""

    class Meta(_CleanMeta):
        """The control-character filter (nested entries carry no CSRF token)."""


# ----------------------------------------------------------------------------- fields
class PointsField(StringField):
    """A score: up to five digits and two decimals; ``data`` is a ``Decimal`` or ``None``."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist:
            self.raw_data = valuelist
            try:
                self.data = parse_points(valuelist[0][:40])
            except ValueError:
                raise ValueError(_l("Enter a number such as 7 or 7.5 (at most two decimals).")) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return show_number(self.data) if self.data is not None else ""


class CountField(StringField):
    """A whole number of occurrences or votes, 0–99999; empty is 0 (or ``None`` when
    ``blank_is_none``)."""

    def __init__(self, *args: Any, blank_is_none: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blank_is_none = blank_is_none

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None if self.blank_is_none else 0
        if valuelist:
            self.raw_data = valuelist
            text = (valuelist[0] or "").strip()
            if text:
                if not re.fullmatch(r"\d{1,5}", text):
                    raise ValueError(_l("Enter a whole number from 0 to 99999."))
                self.data = int(text)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data in (None, 0) and self.blank_is_none else str(self.data or 0)


class ChoiceField(SelectField):
    """A select whose refusal of an unlisted value speaks the user's language."""

    def pre_validate(self, form: Form) -> None:
        if self.data not in [choice.value if isinstance(choice, SelectChoice) else choice[0]
                             for choice in self.choices or []]:
            raise ValidationError(_l("Choose one of the listed values."))


class IdsField(SelectMultipleField):
    """Ids chosen from a list (evidence, bureaus); anything else is a form error.

    ``data`` is always a list of ``int`` — from the prefill (``data=…``) as from the
    posted form, so that a template can test ``id in field.data`` and the widget marks
    the chosen options in both cases (a ``str``/``int`` mix ticks nothing and a save of
    the page as shown would silently drop every choice).  Nothing posted is ``[]``,
    never ``None``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        self.data = _ids(value or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = _ids(value for value in valuelist[:1000])
        except ValueError:
            self.data = []
            raise ValueError(_l("Choose from the list.")) from None

    def pre_validate(self, form: Form) -> None:
        allowed = {int(choice.value) for choice in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_l("Choose from the list."))


def _ids(values: Iterable[Any]) -> list[int]:
    """Distinct ids in order; ``ValueError`` for anything that is not a plain integer."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not re.fullmatch(r"\d{1,18}", text):
            raise ValueError(text[:20])
        if int(text) not in ids:
            ids.append(int(text))
    return ids


class DayField(DateField):
    """A date (YYYY-MM-DD) whose error message is translated with the application's."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata([value[:20] for value in valuelist])
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date such as 2026-12-20.")) from None


def show_number(value: Any) -> str:
    """A number as typed: ``Decimal("5.50")`` → ``5.5``, ``100`` → ``100``."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


# ----------------------------------------------------------------------------- sheet forms
class SheetForm(ScoringForm):
    """Base of the per-template self-assessment and review forms."""

    version = HiddenField()
    save = SubmitField(_l("Save"))

    # Set by sheet_form(): (field name stem, dimension, indicator) per indicator.
    layout: list[tuple[str, dict, dict]] = []
    part: str = "self"

    def value_field(self, stem: str):
        """The points or level field of an indicator (``None`` for deduct)."""
        return self._fields.get(stem)

    def rule_fields(self, stem: str, indicator: dict) -> list[tuple[dict, Any]]:
        """(rule, occurrences field) pairs of a deduct indicator."""
        return [(rule, self._fields[f"{stem}_r{index}"]) for index, rule in enumerate(indicator.get("rules") or [])]

    def checked_field(self, stem: str):
        """The "checked" tick of a deduct indicator."""
        return self._fields[f"{stem}_ok"]

    def note_field(self, stem: str):
        return self._fields[f"{stem}_note"]

    def evidence_field(self, stem: str):
        return self._fields.get(f"{stem}_ev")


def sheet_form(body: dict, part: str, *, evidence: Iterable[Any] | None = None, **kwargs: Any) -> SheetForm:
    """A form for one part (``self`` or ``reviewer``) of a sheet on template ``body``.

    ``evidence`` (attachments) adds an evidence picker per indicator (self part only);
    keyword arguments go to the form (``data=…`` to prefill, ``formdata=None``).
    """
    attributes: dict[str, Any] = {"layout": [], "part": part}
    choices = None if evidence is None else [
        SelectChoice(attachment.id, attachment.original_name) for attachment in evidence]
    for index, (dimension, indicator) in enumerate(indicators_of(body)):
        stem = f"i{index}"
        attributes["layout"].append((stem, dimension, indicator))
        label = f"{indicator.get('code')} {indicator.get('title')}"
        if indicator.get("method") == "points":
            attributes[stem] = PointsField(label, validators=[Optional()])
        elif indicator.get("method") == "levels":
            options = [SelectChoice(NOT_RATED, _l("— not rated —"))] + [
                SelectChoice(level["label"], level["label"]) for level in indicator.get("levels") or []]
            attributes[stem] = ChoiceField(label, choices=options, default=NOT_RATED)
        else:
            for r_index, rule in enumerate(indicator.get("rules") or []):
                attributes[f"{stem}_r{r_index}"] = CountField(f"{rule.get('code')} {rule.get('title')}")
            # A deduction item is scored once checked: occurrences entered, or this tick
            # for "checked, nothing (else) to deduct".  Untouched, it is not scored.
            attributes[f"{stem}_ok"] = BooleanField(_l("Checked (rules without occurrences count 0)"))
        note_label = _l("Self-assessment note") if part == "self" else _l("Reviewer’s comment")
        attributes[f"{stem}_note"] = TextAreaField(note_label, validators=[Length(max=NOTE_MAX)])
        if choices is not None:
            attributes[f"{stem}_ev"] = IdsField(_l("Evidence"), choices=choices)
    if part == "self":
        attributes["summary"] = TextAreaField(_l("Summary of the self-assessment"), validators=[Length(max=NOTE_MAX)])
    else:
        attributes["comment"] = TextAreaField(_l("Overall opinion of the review team"),
                                              validators=[Length(max=NOTE_MAX)])
    form_class = type("BoundSheetForm", (SheetForm,), attributes)
    return form_class(**kwargs)


def sheet_form_data(sheet: Any, part: str) -> dict[str, Any]:
    """Prefill data of a sheet form from the sheet's entries."""
    data: dict[str, Any] = {"version": sheet.version}
    if part == "self":
        data["summary"] = sheet.self_summary
    else:
        data["comment"] = sheet.reviewer_comment
    for index, (_dimension, indicator) in enumerate(indicators_of(sheet.template_body)):
        stem = f"i{index}"
        entry = sheet.entry_for(indicator["code"])
        if entry is None:
            continue
        method = indicator.get("method")
        if method == "points":
            data[stem] = getattr(entry, f"{part}_points")
        elif method == "levels":
            data[stem] = getattr(entry, f"{part}_level") or NOT_RATED
        else:
            recorded = getattr(entry, f"{part}_deductions")
            counts = recorded or {}
            for r_index, rule in enumerate(indicator.get("rules") or []):
                data[f"{stem}_r{r_index}"] = int(counts.get(rule.get("code"), 0))
            data[f"{stem}_ok"] = recorded is not None
        data[f"{stem}_note"] = entry.self_note if part == "self" else entry.reviewer_comment
        if part == "self":
            data[f"{stem}_ev"] = [attachment.id for attachment in entry.evidence]
    return data


def entry_inputs(form: SheetForm) -> dict[str, EntryInput]:
    """The form's values as service inputs, by indicator code."""
    inputs: dict[str, EntryInput] = {}
    for stem, _dimension, indicator in form.layout:
        method = indicator.get("method")
        if method == "deduct":
            value: Any = {rule.get("code"): field.data for rule, field in form.rule_fields(stem, indicator)
                          if field.data}
            if not value and not form.checked_field(stem).data:
                value = None  # untouched: not scored (never "full points" by default)
        elif method == "levels":
            value = form.value_field(stem).data or None
        else:
            value = form.value_field(stem).data
        evidence_field = form.evidence_field(stem)
        inputs[indicator["code"]] = EntryInput(
            value=value, note=form.note_field(stem).data or "",
            evidence=None if evidence_field is None else list(evidence_field.data or []))
    return inputs


def place_errors(form: SheetForm, errors: dict[str, list[str]]) -> list[str]:
    """Put a service's errors (by indicator code) on the indicator's first field; return
    the messages that belong to no indicator."""
    stems = {indicator.get("code"): stem for stem, _d, indicator in form.layout}
    indicators = {indicator.get("code"): indicator for _s, _d, indicator in form.layout}
    loose: list[str] = []
    for code, messages in errors.items():
        stem = stems.get(code)
        if stem is None:
            field = form._fields.get(code)
            if field is not None:
                field.errors = list(field.errors) + [str(m) for m in messages]
            else:
                loose += [str(m) for m in messages]
            continue
        field = form.value_field(stem)
        if field is None:
            rules = form.rule_fields(stem, indicators[code])
            field = rules[0][1] if rules else form.note_field(stem)
        field.errors = list(field.errors) + [str(m) for m in messages]
    return loose


# ----------------------------------------------------------------------------- small forms
class VersionForm(ScoringForm):
    """A button that acts on a sheet (submit, complete, finalise …) with its version."""

    version = HiddenField()


class BallotForm(ScoringForm):
    """Democratic rating: votes per level are added per template (``ballot_form``)."""

    version = HiddenField()
    eligible = CountField(_l("Expected attendance (应到)"), blank_is_none=True)
    present = CountField(_l("Present (实到)"), blank_is_none=True)
    held_on = DayField(_l("Date of the rating"), validators=[Optional()])
    note = TextAreaField(_l("Note on the rating"), validators=[Length(max=NOTE_MAX)])
    save = SubmitField(_l("Save the ballot"))
    levels: list[tuple[str, str]] = []

    def level_fields(self) -> list[tuple[str, Any]]:
        return [(label, self._fields[name]) for name, label in self.levels]


def ballot_form(labels: list[str], **kwargs: Any) -> BallotForm:
    """A ballot form with one vote field per ballot level (``v0``, ``v1`` …)."""
    attributes: dict[str, Any] = {"levels": []}
    for index, label in enumerate(labels):
        attributes[f"v{index}"] = CountField(label)
        attributes["levels"].append((f"v{index}", label))
    return type("BoundBallotForm", (BallotForm,), attributes)(**kwargs)


class AdjustmentForm(ScoringForm):
    version = HiddenField()
    kind = ChoiceField(_l("Kind"), choices=[SelectChoice(key, label) for key, label in KIND_LABELS.items()])
    rule = ChoiceField(_l("Rule"), choices=[SelectChoice("", _l("— none (give the points) —"))], default="")
    points = PointsField(_l("Points"), validators=[Optional()],
                         description=_l("Leave empty when a rule is chosen: the rule fixes the points."))
    reason = StringField(_l("Reason (事由)"), validators=[DataRequired(_l("Give the reason.")), Length(max=500)])
    document = StringField(_l("Document number (文号)"), validators=[Length(max=100)],
                           description=_l("Required for a veto, e.g. 市纪委〔2026〕5号."))
    add = SubmitField(_l("Add"))


def adjustment_form(rules: list[tuple[str, str]], **kwargs: Any) -> AdjustmentForm:
    """The adjustment form with the template's rules (``[(code, "kind: title")]``)."""
    form = AdjustmentForm(**kwargs)
    form.rule.choices = [SelectChoice("", _l("— none (give the points) —"))] + [
        SelectChoice(code, label) for code, label in rules]
    return form


class ReopenForm(ScoringForm):
    version = HiddenField()
    target = ChoiceField(_l("Reopen to"), choices=[
        SelectChoice("reviewed", _l("Review (correct the city's scores)")),
        SelectChoice("draft", _l("Draft (return the sheet to the bureau)"))])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=500)])
    reopen = SubmitField(_l("Reopen"))


# ----------------------------------------------------------------------------- city forms
YEAR = [DataRequired(_l("Enter the year.")), Regexp(r"^\d{4}$", message=_l("Enter a year such as 2026."))]


class NewTemplateForm(ScoringForm):
    year = StringField(_l("Year"), validators=YEAR)
    name = StringField(_l("Name of the sheet"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
                       description=_l("For example: 2026年度市直机关党建工作主体责任考核评分表"))
    source = ChoiceField(_l("Start from"))
    create = SubmitField(_l("Create draft"))


def new_template_form(templates: Iterable[Any], **kwargs: Any) -> NewTemplateForm:
    form = NewTemplateForm(**kwargs)
    form.source.choices = [SelectChoice("blank", _l("A blank sheet")),
                           SelectChoice("example", _l("The example annual sheet (6 dimensions, 100 points)"))] + [
        SelectChoice(str(t.id), f"{t.year} · {t.label}") for t in templates]
    return form


class ImportTemplateForm(ScoringForm):
    file = FileField(_l("Template file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("JSON, YAML or Excel (.xlsx) in the layout described in the manual."))
    upload = SubmitField(_l("Import as a new draft"))


class AssignForm(ScoringForm):
    """Which bureaus are assessed on a published edition.

    ``shown`` carries the bureaus that were ticked when the page was rendered, so that a
    save takes away only what the clerk un-ticked (not a bureau a colleague assigned
    meanwhile).  Un-assigning every bureau is its own button, never an empty save.
    """

    bureaus = IdsField(_l("Bureaus assessed"))
    shown = HiddenField()
    save = SubmitField(_l("Save the assignment"))

    def shown_ids(self) -> list[int] | None:
        """The ids ticked when the page was rendered (``None`` when not posted or garbled)."""
        if not self.shown.raw_data:
            return None
        try:
            return _ids(part for part in (self.shown.data or "").split(",")[:1000] if part.strip())
        except ValueError:
            return None


class EditionActionForm(ScoringForm):
    """Publish / delete a draft, start a new edition: carries the template's version."""

    version = HiddenField()


# ----------------------------------------------------------------------------- template editor
TEXT = [Optional(), Length(max=500)]
CODE = [Optional(), Length(max=64)]
NUMBER = [Optional(), Length(max=30)]


class RuleForm(ScoringSubForm):
    code = StringField(_l("Code"), validators=CODE)
    title = StringField(_l("Deduction rule"), validators=TEXT)
    points = StringField(_l("Points each"), validators=NUMBER)


class LevelForm(ScoringSubForm):
    label = StringField(_l("Level"), validators=CODE)
    fraction = StringField(_l("Fraction of the points"), validators=NUMBER)
    description = StringField(_l("Description"), validators=TEXT)


def _method_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in METHOD_LABELS.items()]


class IndicatorForm(ScoringSubForm):
    code = StringField(_l("Code"), validators=CODE)
    title = StringField(_l("Indicator"), validators=TEXT)
    max_points = StringField(_l("Points"), validators=NUMBER)
    method = ChoiceField(_l("Method"), choices=_method_choices())
    criteria = TextAreaField(_l("Scoring criteria"), validators=[Optional(), Length(max=4000)])
    rules = FieldList(FormField(RuleForm), max_entries=100)
    levels = FieldList(FormField(LevelForm), max_entries=100)


class DimensionForm(ScoringSubForm):
    code = StringField(_l("Code"), validators=CODE)
    title = StringField(_l("Dimension"), validators=TEXT)
    indicators = FieldList(FormField(IndicatorForm), max_entries=200)


class GradeForm(ScoringSubForm):
    label = StringField(_l("Grade"), validators=CODE)
    min = StringField(_l("From (points)"), validators=NUMBER)


class BallotLevelForm(ScoringSubForm):
    label = StringField(_l("Ballot level"), validators=CODE)
    weight = StringField(_l("Weight"), validators=NUMBER)


class VetoRuleForm(ScoringSubForm):
    code = StringField(_l("Code"), validators=CODE)
    title = StringField(_l("Veto condition"), validators=TEXT)


class AdjustmentRuleForm(ScoringSubForm):
    code = StringField(_l("Code"), validators=CODE)
    title = StringField(_l("Rule"), validators=TEXT)
    kind = ChoiceField(_l("Kind"), choices=[SelectChoice("bonus", _l("Bonus")),
                                            SelectChoice("deduction", _l("Deduction"))])
    points = StringField(_l("Points"), validators=NUMBER)


class GateForm(ScoringSubForm):
    ballot_approval_below = StringField(_l("Approval below (fraction)"), validators=NUMBER)
    max_grade = StringField(_l("Grade at most"), validators=CODE)


class TemplateEditorForm(ScoringForm):
    """The whole template tree; see :func:`editor_data` and :func:`body_from_editor`."""

    version = HiddenField()
    name = StringField(_l("Name of the sheet"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    weight_self = StringField(_l("Weight of the self-assessment"), validators=NUMBER)
    weight_reviewer = StringField(_l("Weight of the review team's score"), validators=NUMBER)
    weight_ballot = StringField(_l("Weight of the democratic rating"), validators=NUMBER)
    bonus_cap = StringField(_l("Bonus cap (points)"), validators=NUMBER)
    dimensions = FieldList(FormField(DimensionForm), max_entries=50)
    grades = FieldList(FormField(GradeForm), max_entries=20)
    ballot_levels = FieldList(FormField(BallotLevelForm), max_entries=20)
    veto_rules = FieldList(FormField(VetoRuleForm), max_entries=100)
    adjustment_rules = FieldList(FormField(AdjustmentRuleForm), max_entries=100)
    gates = FieldList(FormField(GateForm), max_entries=20)


def fits_editor(body: Any) -> bool:
    """Whether the tree editor can show ``body``: no list longer than its ``FieldList``
    (a draft stored before the import limits may have more; it is shown read-only)."""
    if not isinstance(body, dict):
        return False
    top = TemplateEditorForm
    for name in ("dimensions", "grades", "ballot_levels", "veto_rules", "adjustment_rules", "gates"):
        items = body.get(name)
        if isinstance(items, list) and len(items) > getattr(top, name).kwargs["max_entries"]:
            return False
    limits = {"indicators": DimensionForm.indicators.kwargs["max_entries"],
              "rules": IndicatorForm.rules.kwargs["max_entries"], "levels": IndicatorForm.levels.kwargs["max_entries"]}
    for dimension in body.get("dimensions") or []:
        indicators = dimension.get("indicators") if isinstance(dimension, dict) else None
        if not isinstance(indicators, list):
            continue
        if len(indicators) > limits["indicators"]:
            return False
        for indicator in indicators:
            if isinstance(indicator, dict) and any(
                    isinstance(indicator.get(key), list) and len(indicator[key]) > limits[key]
                    for key in ("rules", "levels")):
                return False
    return True


#: Paths of the editor's fields that are not named like the body's keys.
EDITOR_ALIASES = {"composite.self": "weight_self", "composite.reviewer": "weight_reviewer",
                  "composite.ballot": "weight_ballot"}
_NUMBER_TEXT = re.compile(r"^-?\d{1,9}(\.\d{1,6})?$")


def _num(text: str | None) -> Any:
    """Editor text → number (``Decimal``); empty → ``None``; anything else stays text so
    that the engine reports it at its path."""
    text = (text or "").strip()
    if not text:
        return None
    return Decimal(text) if _NUMBER_TEXT.match(text) else text


def _txt(text: str | None) -> str:
    return (text or "").strip()


def _compact(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value is not None}


def body_from_editor(form: TemplateEditorForm, base: dict) -> dict:
    """The template body the editor's fields describe (numbers as ``Decimal``).  The
    year and any top-level ``x-`` keys come from ``base``."""
    body: dict[str, Any] = {key: value for key, value in base.items() if str(key).startswith("x-")}
    body["name"] = _txt(form.name.data)
    body["year"] = base.get("year")
    if _txt(form.description.data):
        body["description"] = _txt(form.description.data)
    dimensions = []
    for d_form in (entry.form for entry in form.dimensions):
        indicators = []
        for i_form in (entry.form for entry in d_form.indicators):
            method = i_form.method.data
            indicator = _compact({"code": _txt(i_form.code.data), "title": _txt(i_form.title.data),
                                  "max_points": _num(i_form.max_points.data), "method": method,
                                  "criteria": _txt(i_form.criteria.data) or None})
            rules = [_compact({"code": _txt(r.form.code.data), "title": _txt(r.form.title.data),
                               "points": _num(r.form.points.data)}) for r in i_form.rules]
            levels = [_compact({"label": _txt(lv.form.label.data), "fraction": _num(lv.form.fraction.data),
                                "description": _txt(lv.form.description.data) or None}) for lv in i_form.levels]
            if method == "deduct" and rules:
                indicator["rules"] = rules
            if method == "levels" and levels:
                indicator["levels"] = levels
            indicators.append(indicator)
        dimensions.append({"code": _txt(d_form.code.data), "title": _txt(d_form.title.data),
                           "indicators": indicators})
    body["dimensions"] = dimensions
    body["grades"] = [_compact({"label": _txt(g.form.label.data), "min": _num(g.form.min.data)})
                      for g in form.grades]
    body["composite"] = _compact({"self": _num(form.weight_self.data), "reviewer": _num(form.weight_reviewer.data),
                                  "ballot": _num(form.weight_ballot.data)})
    lists = {
        "ballot_levels": [_compact({"label": _txt(b.form.label.data), "weight": _num(b.form.weight.data)})
                          for b in form.ballot_levels],
        "veto_rules": [{"code": _txt(v.form.code.data), "title": _txt(v.form.title.data)} for v in form.veto_rules],
        "adjustment_rules": [_compact({"code": _txt(a.form.code.data), "title": _txt(a.form.title.data),
                                       "kind": a.form.kind.data, "points": _num(a.form.points.data)})
                             for a in form.adjustment_rules],
        "gates": [_compact({"ballot_approval_below": _num(g.form.ballot_approval_below.data),
                            "max_grade": _txt(g.form.max_grade.data)}) for g in form.gates],
    }
    bonus_cap = _num(form.bonus_cap.data)
    if bonus_cap is not None:
        body["bonus_cap"] = bonus_cap
    body.update({key: value for key, value in lists.items() if value})
    return body


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return show_number(value)
    return value


def editor_data(body: dict) -> dict:
    """Prefill data of the editor from a template body (numbers as text)."""
    shown = _shown(body)
    composite = shown.get("composite") if isinstance(shown.get("composite"), dict) else {}
    return {
        "name": shown.get("name") or "",
        "description": shown.get("description") or "",
        "weight_self": composite.get("self", ""), "weight_reviewer": composite.get("reviewer", ""),
        "weight_ballot": composite.get("ballot", ""),
        "bonus_cap": shown.get("bonus_cap", ""),
        "dimensions": [dict(d, indicators=[dict(i, rules=i.get("rules") or [], levels=i.get("levels") or [])
                                           for i in d.get("indicators") or [] if isinstance(i, dict)])
                       for d in shown.get("dimensions") or [] if isinstance(d, dict)],
        "grades": shown.get("grades") or [], "ballot_levels": shown.get("ballot_levels") or [],
        "veto_rules": shown.get("veto_rules") or [], "adjustment_rules": shown.get("adjustment_rules") or [],
        "gates": shown.get("gates") or [],
    }


def field_name(path: str) -> str:
    """The editor field (or list) named by an engine problem path:
    ``dimensions[0].indicators[1].code`` → ``dimensions-0-indicators-1-code``."""
    if path in EDITOR_ALIASES:
        return EDITOR_ALIASES[path]
    return re.sub(r"\[(\d+)\]", r"-\1", path).replace(".", "-")


# Lists the editor's buttons may add to, remove from or reorder, and the blank entry of each.
BLANK = {
    "dimensions": lambda: {"code": "", "title": "", "indicators": [{"code": "", "title": "", "method": "points"}]},
    "indicators": lambda: {"code": "", "title": "", "method": "points"},
    "rules": lambda: {"code": "", "title": ""},
    "levels": lambda: {"label": ""},
    "grades": lambda: {"label": ""},
    "ballot_levels": lambda: {"label": ""},
    "veto_rules": lambda: {"code": "", "title": ""},
    "adjustment_rules": lambda: {"code": "", "title": "", "kind": "bonus"},
    "gates": lambda: {"max_grade": ""},
}
_OP = re.compile(r"^(add|remove|up|down):([a-z_]+(?:/\d{1,3}/[a-z_]+)*(?:/\d{1,3})?)$")


class BadOperation(ValueError):
    """An editor button value that does not name a list or an entry of the body."""


def apply_op(body: dict, op: str) -> tuple[dict, str]:
    """Perform an editor operation on ``body``; returns the new body and the anchor of
    the changed part.  ``add:<list path>`` appends a blank entry; ``remove:``, ``up:``,
    ``down:<entry path>`` remove or move one (paths like ``dimensions/0/indicators/2``)."""
    match = _OP.match(op or "")
    if not match:
        raise BadOperation(op)
    action, path = match.groups()
    segments = path.split("/")
    if action == "add":
        if len(segments) % 2 == 0:
            raise BadOperation(op)
        container_path, key = segments[:-1], segments[-1]
    else:
        if len(segments) % 2 == 1:
            raise BadOperation(op)
        container_path, key = segments[:-2], segments[-2]
    if key not in BLANK:
        raise BadOperation(op)
    node: Any = body
    for index in range(0, len(container_path), 2):
        name, position = container_path[index], int(container_path[index + 1])
        items = node.get(name) if isinstance(node, dict) else None
        if not isinstance(items, list) or not 0 <= position < len(items) or not isinstance(items[position], dict):
            raise BadOperation(op)
        node = items[position]
    if not isinstance(node, dict):
        raise BadOperation(op)
    items = node.setdefault(key, [])
    if not isinstance(items, list):
        raise BadOperation(op)
    anchor = "-".join(container_path + [key]) or key
    if action == "add":
        if key == "rules":
            node["method"] = "deduct"
        elif key == "levels":
            node["method"] = "levels"
        items.append(BLANK[key]())
        return body, f"{anchor}-{len(items) - 1}"
    position = int(segments[-1])
    if not 0 <= position < len(items):
        raise BadOperation(op)
    if action == "remove":
        items.pop(position)
    elif action == "up" and position > 0:
        items[position - 1], items[position] = items[position], items[position - 1]
    elif action == "down" and position < len(items) - 1:
        items[position + 1], items[position] = items[position], items[position + 1]
    return body, anchor
