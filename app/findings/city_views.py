"""City pages of supervision findings (``/city/findings/...``).

The register page reads only the catalog (:class:`CityFinding`).  Pages about one finding
open that one bureau's database with ``tenant_context`` — the city's writes (logging a
finding, verifying, returning, reopening) go into the bureau's database and are audited
both there and in the catalog by the services.
"""
from __future__ import annotations

import io
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from app.accounts import services as accounts
from app.accounts.decorators import city_role
from app.evidence.downloads import send_blob
from app.evidence.storage import KINDS
from app.errors import Conflict, DomainError, NotFound, ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context
from app.web import current_actor, show_error

from . import city_bp, services, status as rules, xlsx
from .forms import EmailForm, FindingForm, ImportForm, TransitionForm, VersionForm
from .labels import ACTION_LABELS, label
from .models import CityFinding
from .views import _fill, detail_context, edit_details


def _writable(tenant: Tenant) -> bool:
    if tenant.status != "active":
        flash(_("This bureau is archived and read-only."), "danger")
        return False
    return True



# -- the register ----------------------------------------------------------------------
@city_bp.route("/")
@city_role()
def index():
    """Every finding the city raised, across bureaus (from the catalog register)."""
    args = request.args
    bureau = str(args.get("bureau", "") or "")[:40]
    status = str(args.get("status", "") or "")
    status = status if status in rules.STATUSES else ""
    overdue = args.get("overdue") in ("1", "on", "true")
    batch = str(args.get("batch", "") or "").strip()[:services.BATCH_MAX]
    day = services.today()
    query = select(CityFinding).join(Tenant, Tenant.id == CityFinding.tenant_id)
    if bureau:
        query = query.where(Tenant.slug == bureau)
    if status:
        query = query.where(CityFinding.status == status)
    if batch:
        query = query.where(CityFinding.batch == batch)
    if overdue:
        query = query.where(or_(and_(CityFinding.status.in_(rules.ACTIVE), CityFinding.due_on < day),
                                and_(CityFinding.status == rules.AWAITING, CityFinding.submitted_on > CityFinding.due_on)))
    entries = list(db.session.scalars(query.order_by(CityFinding.status != rules.AWAITING, CityFinding.due_on,
                                                     CityFinding.id)).unique())
    batches = list(db.session.scalars(select(CityFinding.batch).where(CityFinding.batch != "").distinct()
                                      .order_by(CityFinding.batch)))
    rows = [(e, rules.is_overdue(e.status, e.due_on, day, e.submitted_on)) for e in entries]
    awaiting = db.session.scalar(select(func.count(CityFinding.id)).where(CityFinding.status == rules.AWAITING))
    soon = db.session.scalar(select(func.count(CityFinding.id)).where(
        CityFinding.status.in_(rules.ACTIVE), CityFinding.due_on <= day + timedelta(days=rules.DUE_SOON_DAYS)))
    return render_template(
        "findings/city_index.html", rows=rows, bureaus=tenancy.list_tenants(include_archived=False),
        all_bureaus=tenancy.list_tenants(), batches=batches,
        filters={"bureau": bureau, "status": status, "overdue": overdue, "batch": batch}, awaiting=awaiting or 0,
        soon=soon or 0, email_form=EmailForm(formdata=None, data={"email": current_user.email or ""}))


@city_bp.route("/email", methods=["POST"])
@city_role()
def set_email():
    """The city user's address for the daily digest."""
    form = EmailForm()
    if form.validate_on_submit():
        try:
            accounts.set_email(current_user, form.email.data)
        except ValueError:
            flash(_("Enter an e-mail address such as name@example.gov.cn."), "danger")
        else:
            flash(_("Your e-mail address has been saved."), "success")
    else:
        for message in form.email.errors:
            flash(str(message), "danger")
    return redirect(url_for("city.findings.index"))


@city_bp.route("/go", methods=["GET"])
@city_role(admin=True)
def choose_bureau():
    """The bureau picker of the register page: on to that bureau's new-finding form."""
    bureau = str(request.args.get("bureau", "") or "")[:40]
    tenant = tenancy.get_tenant(bureau) if bureau else None
    if tenant is None:
        flash(_("Choose a bureau."), "danger")
        return redirect(url_for("city.findings.index"))
    target = "city.findings.import_findings" if request.args.get("to") == "import" else "city.findings.new"
    return redirect(url_for(target, bureau=tenant.slug))


# -- one bureau -------------------------------------------------------------------------
@city_bp.route("/<bureau>/new", methods=["GET", "POST"])
@city_role(admin=True)
def new(bureau: str):
    """Log a finding of a city inspection into the bureau's ledger."""
    tenant = tenancy.get_tenant(bureau)
    if request.method == "POST" and not _writable(tenant):
        return redirect(url_for("city.findings.index"))
    with tenant_context(tenant):
        form = FindingForm()
        _fill(form)
        if request.method == "GET":
            form.found_on.data = services.today()
            form.source.data = "special_inspection"
        status = 200
        if form.validate_on_submit():
            try:
                finding = services.create_finding(form.data, actor=current_actor())
            except DomainError as error:
                show_error(form, error)
                status = error.http_status
            else:
                flash(_("The finding has been logged into the ledger of %(name)s.", name=tenant.name), "success")
                return redirect(url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding.id))
        elif request.method == "POST":
            status = 400
        return render_template("findings/form.html", form=form, finding=None, side="city", tenant=tenant,
                               back_url=url_for("city.findings.index")), status


def _render_detail(tenant: Tenant, finding, status: int = 200, **overrides):
    return render_template("findings/detail.html", side="city", tenant=tenant,
                           **detail_context(finding, current_actor(), **overrides)), status


@city_bp.route("/<bureau>/<int:finding_id>")
@city_role()
def detail(bureau: str, finding_id: int):
    """A finding of the bureau as the city sees it, with the verification step."""
    tenant = tenancy.get_tenant(bureau)
    with tenant_context(tenant):
        return _render_detail(tenant, services.get_finding(finding_id))


@city_bp.route("/<bureau>/<int:finding_id>/edit", methods=["GET", "POST"])
@city_role(admin=True)
def edit(bureau: str, finding_id: int):
    """Change a city finding's own fields."""
    tenant = tenancy.get_tenant(bureau)
    if request.method == "POST" and not _writable(tenant):
        return redirect(url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding_id))
    with tenant_context(tenant):
        finding = services.get_finding(finding_id)
        if not services.may_edit_details(finding, current_actor()):
            abort(403)
        done = url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding.id)
        return edit_details(finding, current_actor(), side="city", back_url=done, done_url=done, tenant=tenant)


@city_bp.route("/<bureau>/<int:finding_id>/transition/<action>", methods=["POST"])
@city_role(admin=True)
def transition(bureau: str, finding_id: int, action: str):
    """Verify and close, return for more work, or reopen a city finding."""
    tenant = tenancy.get_tenant(bureau)
    if action not in rules.ACTIONS:
        abort(404)
    if not _writable(tenant):
        return redirect(url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding_id))
    with tenant_context(tenant):
        finding = services.get_finding(finding_id)
        form = TransitionForm(prefix=action)
        if not form.validate_on_submit():
            return _render_detail(tenant, finding, 400, transition_forms={action: form})
        try:
            services.transition(finding, action, note=form.note.data or "", version=form.version.data,
                                 actor=current_actor())
        except Conflict as error:
            show_error(None, error)
            return _render_detail(tenant, finding, 409)
        except DomainError as error:
            show_error(form, error)
            return _render_detail(tenant, finding, error.http_status, transition_forms={action: form})
        flash(_("Done: %(action)s.", action=label(ACTION_LABELS, action)), "success")
        return redirect(url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding.id))


@city_bp.route("/<bureau>/<int:finding_id>/delete", methods=["POST"])
@city_role(admin=True)
def delete(bureau: str, finding_id: int):
    """Delete a city finding logged by mistake (open, no progress yet)."""
    tenant = tenancy.get_tenant(bureau)
    if not _writable(tenant):
        return redirect(url_for("city.findings.detail", bureau=tenant.slug, finding_id=finding_id))
    with tenant_context(tenant):
        finding = services.get_finding(finding_id)
        form = VersionForm()
        try:
            services.delete_finding(finding, version=form.version.data, actor=current_actor())
        except DomainError as error:
            show_error(None, error)
            return _render_detail(tenant, finding, error.http_status)
    flash(_("The finding has been deleted."), "success")
    return redirect(url_for("city.findings.index"))


@city_bp.route("/<bureau>/evidence/<int:evidence_id>")
@city_role()
def download(bureau: str, evidence_id: int):
    """An evidence file of a bureau's finding (the verifier reads it)."""
    tenant = tenancy.get_tenant(bureau)
    with tenant_context(tenant):
        try:
            evidence = services.get_evidence(evidence_id)
            stream = services.open_evidence(evidence)
        except NotFound:
            abort(404)
        return send_blob(stream, tenant.slug, evidence.blob_key,
                         mimetype=KINDS.get(evidence.kind, ("", "application/octet-stream"))[1],
                         download_name=evidence.original_name)


@city_bp.route("/<bureau>/template.xlsx")
@city_role(admin=True)
def template(bureau: str):
    """The import template with the bureau's people."""
    tenant = tenancy.get_tenant(bureau)
    with tenant_context(tenant):
        data = xlsx.template_workbook(services.people())
    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True,
                     download_name=_("Findings import template") + ".xlsx", max_age=0)


@city_bp.route("/<bureau>/import", methods=["GET", "POST"])
@city_role(admin=True)
def import_findings(bureau: str):
    """Log a whole inspection's findings into the bureau's ledger from a workbook."""
    tenant = tenancy.get_tenant(bureau)
    if request.method == "POST" and not _writable(tenant):
        return redirect(url_for("city.findings.index"))
    form = ImportForm()
    status = 200
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(xlsx.MAX_BYTES + 1)
        with tenant_context(tenant):
            try:
                result = xlsx.import_findings(data, actor=current_actor())
            except ValidationError as error:
                problems = list(error.errors.get("file", []))
                flash(error.message, "danger")
                status = 400
            except DomainError as error:
                show_error(form, error)
                status = error.http_status
            else:
                flash(_("%(n)s findings imported into the ledger of %(name)s.", n=len(result.findings),
                        name=tenant.name), "success")
                return redirect(url_for("city.findings.index", bureau=tenant.slug))
    elif request.method == "POST":
        status = 400
    return render_template("findings/import.html", form=form, problems=problems, side="city", tenant=tenant,
                           template_url=url_for("city.findings.template", bureau=tenant.slug),
                           back_url=url_for("city.findings.index")), status

