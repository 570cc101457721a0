"""Bureau pages of the meeting ledger (``/b/<slug>/meetings/...``)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.decorators import bureau_role
from app.errors import DomainError
from app.text import parse_int
from app.web import answer_error, current_actor

from . import bp, services
from .forms import CadenceForm, MeetingForm, VersionForm, fill_kinds
from .labels import CADENCE_LABELS, KIND_LABELS, kind_label, period_labels


@bp.app_context_processor
def meetings_globals() -> dict:
    """Labels for the meeting templates."""
    return {"meeting_kind_label": kind_label, "MEETING_CADENCES": CADENCE_LABELS,
            "meeting_period_labels": period_labels}


def _year() -> int:
    try:
        return parse_int(request.args.get("year"), low=2000, high=2100) or services.today().year
    except ValueError:
        return services.today().year


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@bureau_role(branch=True)
def ledger(unit_id: int):
    """A unit's meetings of a year, what is expected and not held, and the form."""
    actor = current_actor()
    unit = services.get_unit(unit_id, actor)
    year = _year()
    form = MeetingForm(formdata=request.form if request.method == "POST" else None)
    fill_kinds(form, services.kinds_for(unit))
    if request.method == "GET":
        form.held_on.data = services.today()
        form.expected.data = str(unit.member_count or "")
    status = 200
    can_record = services.may_record(unit, actor)
    if request.method == "POST":
        if not can_record:
            abort(403)
        if form.validate_on_submit():
            try:
                services.record_meeting(unit, form.data, actor=actor)
            except DomainError as error:
                answer_error(error, form)
                status = error.http_status
            else:
                flash(_("Meeting recorded."), "success")
                return redirect(url_for("bureau.meetings.ledger", unit_id=unit.id))
        else:
            status = 400
    return render_template("meetings/ledger.html", unit=unit, year=year, meetings=services.ledger(unit, year),
                           periods=services.periods(unit, year), form=form, can_record=can_record,
                           delete_form=VersionForm(formdata=None), this_year=services.today().year), status


@bp.route("/<int:meeting_id>")
@bureau_role(branch=True)
def show(meeting_id: int):
    """One meeting: attendance and minutes."""
    actor = current_actor()
    meeting = services.get_meeting(meeting_id, actor)
    unit = services.get_unit(meeting.unit_id, actor)
    return render_template("meetings/show.html", meeting=meeting, unit=unit,
                           can_record=services.may_record(unit, actor),
                           delete_form=VersionForm(formdata=None, data={"version": meeting.version}))


@bp.route("/<int:meeting_id>/delete", methods=["POST"])
@bureau_role(branch=True)
def delete(meeting_id: int):
    """Remove a meeting recorded by mistake."""
    actor = current_actor()
    meeting = services.get_meeting(meeting_id, actor)
    unit_id = meeting.unit_id
    try:
        services.delete_meeting(meeting, actor=actor, version=VersionForm().version.data)
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("bureau.meetings.show", meeting_id=meeting_id))
    flash(_("Meeting removed."), "success")
    return redirect(url_for("bureau.meetings.ledger", unit_id=unit_id))


@bp.route("/cadence", methods=["GET", "POST"])
@bureau_role("bureau_viewer")
def cadence():
    """How often the bureau expects each kind of meeting (administrators change it)."""
    actor = current_actor()
    current = services.cadences()
    form = CadenceForm(formdata=request.form if request.method == "POST" else None,
                       data={k: str(v) for k, v in current.items()})
    status = 200
    if request.method == "POST":
        if not actor.is_bureau_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                services.set_cadences(form.data, actor=actor)
            except DomainError as error:
                answer_error(error, form)
                status = error.http_status
            else:
                flash(_("Cadences saved."), "success")
                return redirect(url_for("bureau.meetings.cadence"))
        else:
            status = 400
    return render_template("meetings/cadence.html", form=form, kinds=KIND_LABELS,
                           can_edit=actor.is_bureau_admin), status
