#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the development runner: with no DJANGO_ENV it is development (DEBUG on, the local
    # PostgreSQL). The WSGI entry point (gunicorn) defaults to production; so does a server whose
    # environment or .env sets DJANGO_ENV=production.
    os.environ.setdefault("DJANGO_ENV", "development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
