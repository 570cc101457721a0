"""Forms of the accounts package."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from .roles import ROLE_LABELS


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter your user name.")), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password.")), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password.")), Length(max=200)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(_l("Repeat the new password.")), EqualTo("new_password", _l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


def _role_choices(roles):
    return [SelectChoice(r, ROLE_LABELS[r]) for r in roles]


class NewMemberForm(FlaskForm):
    """A bureau admin adds a colleague (a new account with a role in the bureau)."""

    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter a user name.")), Length(max=60)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=60)])
    role = SelectField(_l("Role"), choices=_role_choices(("bureau_editor", "bureau_viewer", "bureau_admin")))
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254)],
                        description=_l("Optional: for the daily reminder e-mail."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter an initial password.")), Length(max=200)])
    submit = SubmitField(_l("Add user"))


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices(("bureau_admin", "bureau_editor", "bureau_viewer")))
    submit = SubmitField(_l("Save"))


class NewCityUserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter a user name.")), Length(max=60)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=60)])
    role = SelectField(_l("Role"), choices=_role_choices(("city_admin", "city_viewer")))
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254)],
                        description=_l("Optional: for the daily reminder e-mail."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter an initial password.")), Length(max=200)])
    submit = SubmitField(_l("Add user"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class TwoFactorCodeForm(FlaskForm):
    """The second step of a log-in: the app's code or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the six digits your app shows, or a recovery "
                                                              "code.")), Length(max=40)],
                       description=_l("Six digits from your authenticator app; or one of your recovery codes."))
    submit = SubmitField(_l("Continue"))


class EnrolTwoFactorForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(_l("Enter the six digits your app shows.")),
                                                            Length(max=40)])
    submit = SubmitField(_l("Turn on two-factor log-in"))


TWO_FACTOR_CHOICES = [
    SelectChoice("", _l("Configuration default")),
    SelectChoice("required-for-admins", _l("Required for city roles and bureau administrators")),
    SelectChoice("optional", _l("Optional: whoever sets it up")),
    SelectChoice("off", _l("Off")),
]


class SecuritySettingsForm(FlaskForm):
    """The security administrator's settings; empty fields keep the configuration's default.

    Numbers are text fields: the service checks them and says every problem in Chinese."""

    lockout_attempts = StringField(_l("Failed log-ins before the account is locked"), validators=[Length(max=40)])
    lockout_minutes = StringField(_l("Minutes an account stays locked"), validators=[Length(max=40)])
    idle_minutes = StringField(_l("Minutes without activity before logging out"), validators=[Length(max=40)])
    two_factor = SelectField(_l("Two-factor log-in"), choices=TWO_FACTOR_CHOICES, validate_choice=False)
    version = HiddenField()
    submit = SubmitField(_l("Save settings"))


class GrantRoleForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter a user name.")), Length(max=60)])
    role = SelectField(_l("Role"), choices=_role_choices(("system_admin", "security_admin", "audit_admin",
                                                          "city_admin", "city_viewer")), validate_choice=False)
    submit = SubmitField(_l("Grant role"))
