"""``reverse`` remembered per process, and a ``{% url %}`` tag that uses it.

A person page reverses about twenty URLs (the feed, the language switcher, the breadcrumb,
``methodology`` and the sources' page once per source, its own embed, API and forms, ...), many of
them the same on every page of a language: reversing was the largest part left of the page's render (bench/README.md, "URL
reversing in the render").

Only URLs without arguments are kept: they are most of a page's URLs and the same on every page
of a language, so they are met again at once. A URL with arguments (a person's slug) is met again
only when that page is rendered again; on the uncached path, with 100,000 people, that is rare, and
keeping it cost more (building its key and storing it, about 3 µs) than answering it from the cache
saved on the few that came back (about 6 µs each): it goes to ``reverse`` as before.

A result is kept under everything ``reverse`` reads: the active language (the ``i18n_patterns``
prefix and translated patterns), the script prefix, the URLconf in use, ``current_app`` and the
view name (a plain string; a lazy string or a view function goes to ``reverse`` every time). A
kept result is answered only while the URLconf's resolver is the one it was reversed with
(``clear_url_caches()`` builds a new one), and the whole cache is cleared on every
``setting_changed`` (``override_settings`` of ``ROOT_URLCONF``, ``LANGUAGE_CODE``, ...). A URL that
does not reverse is never kept: it raises exactly as ``reverse`` does. The cache is an LRU of
``SIZE`` entries: script prefixes (``SCRIPT_NAME``) or ``current_app`` values cannot grow a process
without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django import template
from django.core.signals import setting_changed
from django.template import defaulttags
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

SIZE = 4096

# A view name or current_app of exactly these types makes a key (not a lazy string, not a view).
_NAMES = frozenset({str, SafeString})

_cache: OrderedDict[tuple, tuple[object, str]] = OrderedDict()
_lock = threading.Lock()


def _key(viewname, current_app) -> tuple | None:
    if type(viewname) not in _NAMES or (current_app is not None and type(current_app) not in _NAMES):
        return None
    return (get_language(), get_script_prefix(), get_urlconf(), current_app, viewname)


def cached_reverse(viewname, urlconf=None, args=None, kwargs=None, current_app=None) -> str:
    """``reverse(viewname, urlconf, args, kwargs, current_app)``, remembered (see the module)."""
    key = None if args or kwargs or urlconf is not None else _key(viewname, current_app)
    if key is None:
        return reverse(viewname, urlconf, args, kwargs, current_app)
    resolver = get_resolver(key[2])
    kept = _cache.get(key)
    if kept is not None and kept[0] is resolver:
        # Without a lock: each OrderedDict operation is atomic, and an entry another thread has
        # just dropped is simply not moved.
        try:  # noqa: SIM105 (contextlib.suppress costs more than the move)
            _cache.move_to_end(key)
        except KeyError:
            pass
        return kept[1]
    url = reverse(viewname, None, args, kwargs, current_app)
    with _lock:
        _cache[key] = (resolver, url)
        while len(_cache) > SIZE:
            _cache.popitem(last=False)
    return url


def clear(**kwargs) -> None:
    with _lock:
        _cache.clear()


setting_changed.connect(clear, dispatch_uid="common.reversing.clear")


# --- {% url %}: a template builtin (TEMPLATES' "builtins") replacing Django's tag -----------------

register = template.Library()


class CachedURLNode(defaulttags.URLNode):
    """Django's ``URLNode.render`` (6.1) with ``cached_reverse`` in place of ``reverse``."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise

        if self.asvar:
            context[self.asvar] = url
            return ""
        if context.autoescape:
            url = conditional_escape(url)
        return url


@register.tag
def url(parser, token):
    """Django's ``{% url %}``, same syntax and result, reversing through ``cached_reverse``."""
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
