"""Human labels of roles (English msgids, translated by Flask-Babel)."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "city_admin": _l("City administrator"),
    "city_viewer": _l("City viewer"),
    "bureau_admin": _l("Bureau administrator"),
    "bureau_editor": _l("Bureau editor"),
    "bureau_viewer": _l("Bureau viewer"),
    "reader": _l("City (read-only)"),
    "system_admin": _l("System administrator"),
    "security_admin": _l("Security administrator"),
    "audit_admin": _l("Audit administrator"),
}
