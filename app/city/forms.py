"""Forms of the city pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.tenancy.models import BUREAU_CATEGORIES


def _categories():
    return [SelectChoice(value, label) for value, label in BUREAU_CATEGORIES.items()]


class NewBureauForm(FlaskForm):
    name = StringField(_l("Bureau name"), validators=[DataRequired(_l("Enter the bureau's name.")), Length(max=100)])
    slug = StringField(_l("Short name (in URLs)"), validators=[DataRequired(_l("Enter a short name.")), Length(max=40)],
                       description=_l("Lower-case letters, digits and hyphens, e.g. czj for 市财政局. Cannot be changed later."))
    category = SelectField(_l("Category"), choices=_categories())
    admin_username = StringField(_l("Administrator's user name"), validators=[Optional(), Length(max=60)],
                                 description=_l("Optional: creates the bureau's first administrator."))
    admin_display_name = StringField(_l("Administrator's name"), validators=[Optional(), Length(max=60)])
    admin_password = PasswordField(_l("Administrator's initial password"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Create bureau"))


class EditBureauForm(FlaskForm):
    name = StringField(_l("Bureau name"), validators=[DataRequired(_l("Enter the bureau's name.")), Length(max=100)])
    category = SelectField(_l("Category"), choices=_categories())
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class DeleteBureauForm(FlaskForm):
    confirm = StringField(_l("Type the short name to confirm"), validators=[DataRequired(_l("Type the short name to confirm.")), Length(max=40)])
    submit = SubmitField(_l("Delete bureau and all its data"))


class BureauAdminForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter a user name.")), Length(max=60)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=60)])
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254)],
                        description=_l("Optional: for the daily reminder e-mail."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter an initial password.")), Length(max=200)])
    submit = SubmitField(_l("Add administrator"))
