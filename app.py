"""WSGI entry point: ``flask --app app ...`` and ``gunicorn app:app``."""

from assembly import create_app

app = create_app()
