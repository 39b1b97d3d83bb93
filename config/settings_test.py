"""Test settings: the real settings with DJANGO_ENV=test and a fast password hasher."""

import os

os.environ["DJANGO_ENV"] = "test"

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests never run collectstatic: serve static files from the finders (the live server's pages get
# their CSS) and do not scan a STATIC_ROOT that does not exist.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The test client's host: absolute URLs on pages read like the ones the client asked for.
SITE_URL = "http://testserver"

# Tests change the registry and read the page at once, also across threads (the live server).
REGISTRY_GENERATION_TTL = 0

# The proof of work is real in tests, only cheaper: a Python solver (tests/proofofwork.py) solves a
# challenge in milliseconds instead of a second. One browser test runs the production cost.
ALTCHA_COST = 20
