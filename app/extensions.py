"""Flask extensions, created unbound and initialised in :func:`app.create_app`."""
from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models import CatalogModel
from app.tenancy.session import RoutingSession

# db.session is scoped to the application context (Flask-SQLAlchemy's default); every
# request runs in a new one, and tenant_context() pushes a new one for another bureau.
db = SQLAlchemy(model_class=CatalogModel, session_options={"class_": RoutingSession})
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
