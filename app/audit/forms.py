"""The audit administrator's filter (a GET form: it changes nothing, so no CSRF token)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.text import has_control_characters, parse_date

from . import labels

def what_choices() -> list[tuple[str, str]]:
    """Every kind the "what" filter offers: kinds of event first, then kinds of thing."""
    kinds = [(key, str(label)) for key, label in labels.WHAT_LABELS.items()]
    things = sorted(((key, str(label)) for key, label in labels.ENTITY_LABELS.items()
                     if key not in labels.WHAT_LABELS and key != "year"), key=lambda pair: pair[1])
    return [SelectChoice(key, label) for key, label in [("", str(_l("Any kind")))] + kinds + things]


class AuditFilterForm(FlaskForm):
    """Who, what, when, which bureau; each optional."""

    class Meta:
        csrf = False

    who = StringField(_l("Who"), validators=[Optional(), Length(max=60, message=_l("At most 60 characters."))],
                      render_kw={"placeholder": _l("Name or user name")})
    what = SelectField(_l("What"), validate_choice=False)
    date_from = StringField(_l("From"), render_kw={"type": "date"})
    date_to = StringField(_l("To"), render_kw={"type": "date"})
    bureau = SelectField(_l("Bureau"), validate_choice=False)
    source = SelectField(_l("Records"), choices=[SelectChoice("city", _l("City events about the bureau")),
                                                 SelectChoice("bureau", _l("The bureau's own work records"))],
                         validate_choice=False)
    logins = BooleanField(_l("Include log-ins"))

    def fill_choices(self, bureaus: dict[str, str]) -> None:
        """The bureaus that exist (slug → name) and the kinds of event."""
        self.what.choices = what_choices()
        self.bureau.choices = [SelectChoice("", str(_l("Every bureau and the city")))] + [
            SelectChoice(slug, name) for slug, name in sorted(bureaus.items(), key=lambda pair: pair[1])]
        self._bureaus = bureaus

    def checked(self) -> dict | None:
        """The filter's values, or ``None`` with every problem on its field."""
        problems = False
        who = (self.who.data or "").strip()
        if len(who) > 60:
            self.who.errors = [*self.who.errors, str(_l("At most 60 characters."))]
            problems = True
        elif has_control_characters(who):
            self.who.errors = [*self.who.errors, str(_l("The name contains characters that are not allowed."))]
            problems = True
        what = self.what.data or ""
        if what and what not in {choice.value for choice in self.what.choices}:
            self.what.errors = [str(_l("Choose a kind from the list."))]
            problems = True
        days = {}
        for field in (self.date_from, self.date_to):
            days[field.name] = self._day(field)
            problems = problems or bool(field.errors)
        if days["date_from"] and days["date_to"] and days["date_to"] < days["date_from"]:
            self.date_to.errors = [str(_l("The end date is before the start date."))]
            problems = True
        bureau = self.bureau.data or ""
        if bureau and bureau not in self._bureaus:
            self.bureau.errors = [str(_l("Choose a bureau from the list."))]
            problems = True
        source = self.source.data if self.source.data in ("city", "bureau") else "city"
        if source == "bureau" and not bureau:
            self.source.errors = [str(_l("Choose the bureau whose own records you want to read."))]
            problems = True
        if problems:
            return None
        return {"who": who or None, "what": what or None, "date_from": days["date_from"],
                "date_to": days["date_to"], "bureau": bureau or None, "source": source,
                "logins": bool(self.logins.data)}

    @staticmethod
    def _day(field) -> date | None:
        try:
            return parse_date((field.data or "")[:40])
        except ValueError:
            field.errors = [str(_l("Enter a date between 2000 and 2100, like 2026-03-31."))]
            return None
