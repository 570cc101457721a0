"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``.

Font caches and WeasyPrint are warmed in a background thread as the server starts, so
the first PDF a user asks for is not the slow one.
"""
import threading

from app import create_app
from app.reports.render import warm

app = create_app()
threading.Thread(target=warm, args=(app,), name="pdf-warm-up", daemon=True).start()
