"""The notification centre: the logged-in user's own notifications."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.actor import Actor
from app.errors import DomainError, NotFound
from app.web import answer_error, safe_next

from . import bp, services
from .forms import ReadForm
from .labels import KIND_LABELS, kind_label

#: Beyond any real list; a larger page number (a hostile one) would overflow the offset.
MAX_PAGE = 10_000


def _actor() -> Actor:
    # A person's notifications are theirs on any page: the side is irrelevant here.
    return Actor.city(current_user)


@bp.app_context_processor
def _unread():
    def unread_notifications() -> int:
        """The logged-in user's unread count, read once per request."""
        if not current_user.is_authenticated:
            return 0
        if "zeren_unread_notifications" not in g:
            g.zeren_unread_notifications = services.unread_count(current_user.id)
        return g.zeren_unread_notifications

    return {"unread_notifications": unread_notifications}


def _page() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1")[:8])))
    except ValueError:
        return 1


@bp.route("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    kind = request.args.get("kind") or None
    if kind not in KIND_LABELS and kind not in services.kinds_for(current_user.id):
        kind = None
    page = _page()
    rows, total = services.page_for(current_user.id, page, unread_only=unread_only, kind=kind)
    kinds = [(k, kind_label(k)) for k in services.kinds_for(current_user.id)]
    return render_template("notifications/index.html", rows=rows, total=total, page=page,
                           page_size=services.PAGE_SIZE, unread_only=unread_only, kind=kind, kinds=kinds,
                           kind_label=kind_label, form=ReadForm(), unread=services.unread_count(current_user.id))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.mark_read(notification_id, actor=_actor())
    except NotFound:
        abort(404)
    except DomainError as error:
        answer_error(error)
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_link(notification_id: int):
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = services.mark_read(notification_id, actor=_actor())
    except NotFound:
        abort(404)
    return redirect(safe_next(row.link, url_for("notifications.index")))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    count = services.mark_all_read(actor=_actor())
    flash(_("%(n)s notifications marked read.", n=count) if count else _("Nothing was unread."), "success")
    return redirect(url_for("notifications.index"))
