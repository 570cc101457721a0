"""The city's page to lock and unlock years (city admins; city viewers read it)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts.decorators import city_role
from app.errors import DomainError
from app.web import current_actor, flash_field_errors, show_error

from . import bp, services
from .forms import LockYearForm, UnlockYearForm


def _page(form: LockYearForm | None = None, status: int = 200):
    return render_template("years/index.html", locks=services.list_locks(), form=form or LockYearForm(),
                           unlock_form=UnlockYearForm()), status


@bp.route("/")
@city_role()
def index():
    return _page()


@bp.route("/lock", methods=["POST"])
@city_role(admin=True)
def lock():
    form = LockYearForm()
    if form.validate_on_submit():
        try:
            services.lock_year(int(form.year.data), form.reason.data, actor=current_actor())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("The year %(year)s is locked.", year=form.year.data), "success")
            return redirect(url_for("city.years.index"))
    return _page(form)


@bp.route("/<int:year>/unlock", methods=["POST"])
@city_role(admin=True)
def unlock(year: int):
    form = UnlockYearForm()
    if form.validate_on_submit():
        try:
            services.unlock_year(year, form.reason.data, actor=current_actor())
        except DomainError as error:
            flash(str(error.message), "danger")
            for messages in getattr(error, "errors", {}).values():
                for message in messages:
                    flash(str(message), "danger")
        else:
            flash(_("The year %(year)s is unlocked.", year=year), "success")
    else:
        flash_field_errors(form)
    return redirect(url_for("city.years.index"))
