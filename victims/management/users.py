"""What the registry's management commands share."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_option(username: str | None):
    """The user a ``--user NAME`` option names (None without the option); a clear error for an unknown name."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}.")
    return user
