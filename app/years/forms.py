"""Forms of the year-lock page."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class LockYearForm(FlaskForm):
    year = StringField(_l("Year"), validators=[DataRequired(_l("Enter the year.")),
                                               Regexp(r"^\d{4}$", message=_l("Enter a year such as 2026."))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=500)],
                           description=_l("For example: the 2026 assessment results have been announced."))
    submit = SubmitField(_l("Lock the year"))


class UnlockYearForm(FlaskForm):
    reason = StringField(_l("Reason for unlocking"), validators=[DataRequired(_l("Give a reason.")), Length(max=500)])
    submit = SubmitField(_l("Unlock"))
