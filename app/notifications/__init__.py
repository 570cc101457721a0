"""Notifications: the in-app notification centre, and the channels that carry the same
events outward (the daily e-mail digest, an HTTP webhook for SMS / 政务钉钉 / 企业微信).

Other features call :func:`app.notifications.services.notify` inside the service whose
event asks someone to act; the notification rows join that service's unit of work.

Blueprint ``bp`` — ``/notifications/...``: the logged-in user's own notifications
(neither a bureau's nor the city's page: a person's notifications span every bureau they
belong to).
"""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")

from . import views  # noqa: E402,F401
