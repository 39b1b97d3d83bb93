"""The curators' admin of the registry (registered on import)."""

from victims.admin import records, reference  # noqa: F401
