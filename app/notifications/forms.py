"""Forms of the notification centre (CSRF only: each button is one action)."""
from flask_wtf import FlaskForm


class ReadForm(FlaskForm):
    """Mark read, open, or mark all read."""
