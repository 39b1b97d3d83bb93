"""The media URL of a stored file's name, written without the storage's ``url()`` where that is
provably the same string (a page of name cards asks for two URLs per photo)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from urllib.parse import urljoin, urlparse

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed

# Characters that ``filepath_to_uri`` (``quote(name, safe="/~!*()'")``) leaves as they are (a few
# more it keeps are left out): a name of only these is its own URI path.
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")


def joins_plainly(base: str) -> bool:
    """True when ``urljoin(base, path) == base + path`` for every relative ``path`` of non-empty
    segments that are neither "." nor "..": ``base`` ends with "/", has no parameters, query or
    fragment (``urljoin`` drops them), no empty or dot segment in its path (``urljoin`` removes
    those), and is written the way ``urlunparse`` writes it back (a lower-case scheme)."""
    parts = urlparse(base)
    segments = parts.path.split("/")
    return (
        base.endswith("/")
        and not (parts.params or parts.query or parts.fragment)
        and "" not in segments[1:-1]
        and "." not in segments
        and ".." not in segments
        and urljoin(base, "a/b") == base + "a/b"
    )


def is_plain(path: str) -> bool:
    """A relative path of plain characters and segments: neither empty, "." nor ".."."""
    wrapped = f"/{path}/"
    return _PLAIN.issuperset(path) and "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped


def url_maker(storage) -> Callable[[str], str]:
    """``storage.url`` as a function of the name.

    ``FileSystemStorage.url`` quotes the name (``filepath_to_uri``), strips its leading slashes and
    joins it to ``base_url`` with ``urljoin``: for a plain name (``is_plain``) on a base that
    ``joins_plainly`` that is ``base_url`` + the name, written here without the 7 µs of quoting
    and joining; any other name goes to ``url()``. ``common.storage.MediaS3Storage.url`` is
    ``MEDIA_URL`` + the name already (read once here instead of per call). Any other storage, or
    a subclass that writes its own ``url()``, is always asked."""
    s3 = sys.modules.get("common.storage")  # loaded if the storage is one of its (boto3 is slow to import)
    if s3 is not None and type(storage).url is s3.MediaS3Storage.url and isinstance(settings.MEDIA_URL, str):
        prefix = settings.MEDIA_URL
        return lambda name: prefix + name.lstrip("/")
    if type(storage).url is FileSystemStorage.url and storage.base_url is not None and joins_plainly(storage.base_url):
        base, url = storage.base_url, storage.url

        def plain_url(name: str) -> str:
            if type(name) is str:
                path = name.lstrip("/")
                if is_plain(path):
                    return base + path
            return url(name)

        return plain_url
    return storage.url


_media_url: Callable[[str], str] | None = None


def media_url(name: str) -> str:
    """``default_storage.url(name)``, through ``url_maker``; made again after any setting changes
    (``STORAGES``, ``MEDIA_URL``)."""
    global _media_url
    if _media_url is None:
        _media_url = url_maker(storages["default"])
    return _media_url(name)


def _forget(**kwargs) -> None:
    global _media_url
    _media_url = None


setting_changed.connect(_forget, weak=False)
