"""Messages of Django 6.1 itself that Django does not yet translate into Azerbaijani or Russian.

They are listed here only so that ``makemessages`` copies them into ``locale/``: the project's
catalogues come first at runtime, so curators see these admin texts in their language too.
Nothing imports this module.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_MESSAGES = [
    gettext_noop("- Select an option -"),  # the empty choice of every select (django.db.models.fields)
    gettext_noop("Filter by %(field_name)s"),  # admin/date_hierarchy.html
    gettext_noop("Logout"),  # registration/logged_out.html
    ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count"),  # admin delete pages
]
