"""The WSGI entry point for gunicorn: `gunicorn -c python:web.ops.gunicorn_conf 'web.wsgi:app'`.

A missing or malformed setting (`web.config.ConfigError`) prints one line naming the variable, with no traceback, and
exits with gunicorn's "App failed to load" status, so the master stops instead of respawning workers.
Every template is compiled here, once per worker, before it serves anything (`filters.compile_templates`).
(`web:create_app()` still works; with `-c python:web.ops.gunicorn_conf` the master checks the settings before any
worker starts, whichever entry point is named.)"""
from __future__ import annotations

import sys

from web import create_app
from web.config import EXIT_APP_LOAD, ConfigError, error_line
from web.filters import compile_templates

try:
    app = create_app()
except ConfigError as err:
    print(error_line(err), file=sys.stderr, flush=True)
    sys.exit(EXIT_APP_LOAD)
compile_templates(app.jinja_env)  # in each worker before its first request, not during it
