"""The city's deadline settings page (``/city/deadlines/``): city viewers read it, city
administrators change it."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts.decorators import city_role
from app.errors import DomainError
from app.tenancy import services as tenancy
from app.web import answer_error, current_actor

from . import city_bp, services
from .forms import ReviewModeForm, SettingsForm
from .labels import APPROVER_LABELS, REVIEW_MODE_LABELS


def _page(form: SettingsForm | None = None, mode_form: ReviewModeForm | None = None, status: int = 200):
    current = services.settings()
    if form is None:
        form = SettingsForm(formdata=None, blue_days=str(current.blue_days), yellow_days=str(current.yellow_days),
                            grace_days="" if current.grace_days is None else str(current.grace_days),
                            late_approver=current.late_approver, review_mode=current.review_mode,
                            version=current.version)
    names = {t.slug: t.name for t in tenancy.list_tenants()}
    return render_template("deadlines/settings.html", form=form, mode_form=mode_form or ReviewModeForm(formdata=None),
                           current=current, modes=sorted(services.review_modes().items()), names=names,
                           REVIEW_MODE_LABELS=REVIEW_MODE_LABELS, APPROVER_LABELS=APPROVER_LABELS), status


@city_bp.route("/")
@city_role()
def index():
    """The settings and the review modes set per template year or bureau."""
    return _page()


@city_bp.route("/", methods=["POST"])
@city_role(admin=True)
def save():
    """Save N, M, the grace days, the 补录 approver and the default review mode."""
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            services.update_settings({name: getattr(form, name).data for name in
                                      ("blue_days", "yellow_days", "grace_days", "late_approver", "review_mode")},
                                     version=form.version.data, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("The settings have been saved."), "success")
            return redirect(url_for("city.deadlines.index"))
    return _page(form=form, status=400)


@city_bp.route("/review-modes", methods=["POST"])
@city_role(admin=True)
def set_mode():
    """Set or clear the review mode of a template year or a bureau."""
    form = ReviewModeForm()
    if form.validate_on_submit():
        try:
            services.set_review_mode(form.scope.data, form.key.data, form.mode.data, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("The review mode has been saved."), "success")
            return redirect(url_for("city.deadlines.index"))
    return _page(mode_form=form, status=400)
