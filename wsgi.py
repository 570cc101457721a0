"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``.

Importing it starts no thread: gunicorn's master (``preload_app``) and ``flask --app wsgi
jobs worker`` fork their workers from the process that imported it, and a thread busy at
the fork leaves its locks held in the children for ever (a warm-up thread started here
left job workers hung on their first report, on the layout lock or a module's import
lock).  PDFs are laid out by job workers only, and each warms WeasyPrint itself once
forked (:func:`app.jobs.queue.at_worker_start`).
"""
from app import create_app

app = create_app()
