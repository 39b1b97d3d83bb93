"""Test settings: the real settings with DJANGO_ENV=test and a fast password hasher."""

import os

os.environ["DJANGO_ENV"] = "test"

from memorial.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
