"""Photo URLs written without the storage's ``url()`` (common.mediaurls) are the storage's own URLs,
for the local files and for the S3 bucket as configured; and a photo's ``<picture>``, written with
f-strings, is what ``format_html`` wrote."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from common import mediaurls
from common.translation_fallback import translated
from victims.models import Photo
from victims.templatetags.public import picture, rendition

# Names a storage may be asked for: plain ones, and every kind that quoting or joining changes.
NAMES = [
    "photos/4f1c/thumb.webp", "photos/4f1c/card.jpg", "/photos/leading.jpg", "//photos/two-leading.jpg",
    "photos/a b.jpg", "photos/Şəkil ç.webp", "photos/%41.jpg", "photos/a?b#c.jpg", "photos/a;b=c&d.jpg",
    "photos/../secret.jpg", "photos/./x.jpg", "photos//x.jpg", "photos/x/", "./x.jpg", "..", ".", "photos\\win.jpg",
    "photos/.hidden.jpg", "photos/~tilde_-.x.jpg", "photos/it's (1)!*.jpg", "photos/a:b.jpg", "C:/x.jpg",
    "photos/\u00a0nbsp.jpg", "photos/<x>\"y\".jpg", "photos/+plus.jpg", "x", "/",
]  # fmt: skip
BASES = [
    "/media/", "/media", "/", "", "media/", "http://cdn.example/media/", "HTTPS://CDN.example/m/", "//cdn.example/m/",
    "/a//media/", "/a/./media/", "/a/../media/", "/media/?v=1", "/media/#x", "/media/;p", "/m%20edia/",
]  # fmt: skip


@pytest.mark.parametrize("base", BASES)
def test_local_file_urls_are_the_storage_s_own(tmp_path, base):
    storage = FileSystemStorage(location=tmp_path, base_url=base)
    make = mediaurls.url_maker(storage)
    for name in NAMES:
        assert make(name) == storage.url(name), (base, name)


def test_plain_names_on_a_plain_base_are_written_without_the_storage(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path, base_url="/media/")

    def refuse(name):
        raise AssertionError(f"url() asked for {name}")

    monkeypatch.setattr(storage, "url", refuse)
    make = mediaurls.url_maker(storage)
    assert make("photos/4f1c/thumb.webp") == "/media/photos/4f1c/thumb.webp"
    assert make("/photos/leading.jpg") == "/media/photos/leading.jpg"
    with pytest.raises(AssertionError, match="url"):
        make("photos/a b.jpg")  # quoted by the storage
    for base in ("/a//media/", "/media/?v=1", "HTTPS://CDN.example/m/"):
        assert mediaurls.url_maker(FileSystemStorage(location=tmp_path, base_url=base)).__name__ == "url"


def test_a_storage_that_writes_its_own_urls_is_always_asked(tmp_path):
    class Versioned(FileSystemStorage):
        def url(self, name):
            return super().url(name) + "?v=2"

    storage = Versioned(location=tmp_path, base_url="/media/")
    assert mediaurls.url_maker(storage)("photos/x.jpg") == "/media/photos/x.jpg?v=2"


def s3_storages(settings) -> dict:
    """The S3 storages exactly as config/settings.py configures them with MEDIA_S3_BUCKET set
    (building the storage talks to no server; its url() is MEDIA_URL + name)."""
    options = {"endpoint_url": "http://127.0.0.1:9", "region_name": "us-east-1", "access_key": "synthetic",
               "secret_key": "synthetic", "default_acl": None, "file_overwrite": False}  # fmt: skip
    return {
        **settings.STORAGES,
        "default": {"BACKEND": "common.storage.MediaS3Storage",
                    "OPTIONS": {**options, "bucket_name": "synthetic-media", "querystring_auth": False}},
    }  # fmt: skip


def test_s3_urls_are_the_storage_s_own(settings):
    settings.STORAGES = s3_storages(settings)
    storage = storages["default"]
    assert type(storage).__name__ == "MediaS3Storage"
    for name in NAMES:
        assert mediaurls.media_url(name) == storage.url(name), name
    assert mediaurls.media_url("photos/x/thumb.webp") == "/media/photos/x/thumb.webp"
    settings.MEDIA_URL = "https://media.example/m/"
    assert mediaurls.media_url("photos/x/thumb.webp") == "https://media.example/m/photos/x/thumb.webp"


@pytest.mark.django_db
def test_a_photo_s_urls_follow_the_settings(settings):
    photo = Photo(renditions={"thumb": {"webp": "photos/u/thumb.webp", "jpeg": "photos/u/thumb a.jpg"}})
    assert photo.rendition_url("thumb", "webp") == "/media/photos/u/thumb.webp"
    assert photo.rendition_url("thumb", "jpeg") == "/media/photos/u/thumb%20a.jpg"
    assert photo.rendition_url("card", "jpeg") == ""
    settings.MEDIA_URL = "/files/"
    assert photo.rendition_url("thumb", "webp") == "/files/photos/u/thumb.webp"
    settings.STORAGES = s3_storages(settings)
    assert photo.rendition_url("thumb", "jpeg") == "/files/photos/u/thumb a.jpg"  # MEDIA_URL + name, as before


# --- <picture> ----------------------------------------------------------------------------------


def picture_with_format_html(photo, size: str, language: str = "", eager: bool = False) -> str:
    """The tag as it was written before (format_html), the reference for its bytes."""
    r = rendition(photo, size)
    if not (r.get("webp") or r.get("jpeg")):
        return mark_safe("")
    alt = translated(photo, "alt_text", original=language or None)
    source = format_html('\n  <source srcset="{}" type="image/webp">', r["webp"]) if r["webp"] else ""
    lang = format_html(' lang="{}"', alt.language) if alt.is_fallback else ""
    dimensions = format_html(' width="{}" height="{}"', r["width"], r["height"]) if r["width"] else ""
    loading = "" if eager else ' loading="lazy"'
    return format_html(
        '<picture>{}\n  <img src="{}" alt="{}"{}{}{} decoding="async">\n</picture>',
        source, r["jpeg"] or r["webp"], alt.text, lang, dimensions, mark_safe(loading),  # noqa: S308 - a constant
    )  # fmt: skip


class SyntheticPhoto:
    """A photo as a plain object with the attributes the tag reads (the registry's rows)."""

    rendition_url = Photo.rendition_url

    def __init__(self, renditions, **alt_texts):
        self.renditions = renditions
        self.alt_text = alt_texts.get("alt_text_en", "")
        for language in ("az", "en", "ru"):
            setattr(self, f"alt_text_{language}", alt_texts.get(f"alt_text_{language}"))


def renditions(webp="photos/u/thumb.webp", jpeg="photos/u/thumb.jpg", width=160, height=200) -> dict:
    files = {"webp": webp, "jpeg": jpeg, "width": width, "height": height}
    return {"thumb": {key: value for key, value in files.items() if value is not None}}


PHOTOS = [
    SyntheticPhoto(renditions(), alt_text_en="A synthetic portrait", alt_text_az="Sınaq portret"),
    SyntheticPhoto(renditions(), alt_text_ru="Синтетический портрет"),
    SyntheticPhoto(renditions(webp=None), alt_text_en="<b>\"Quoted\" & 'apostrophe'</b>"),
    SyntheticPhoto(renditions(jpeg=None, width="160", height="200"), alt_text_en=mark_safe("<i>kept</i>")),
    SyntheticPhoto(renditions(width=None), alt_text_en=gettext_lazy("Page")),
    SyntheticPhoto(renditions(width=0), alt_text_en="No width"),
    SyntheticPhoto(renditions(webp="photos/a b&c.webp", jpeg="photos/\"x\".jpg")),
    SyntheticPhoto(renditions(webp=None, jpeg=None), alt_text_en="No files"),
    SyntheticPhoto({}, alt_text_en="Not processed"),
    None,
]


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_a_picture_is_what_format_html_wrote(settings, language):
    from django.utils import translation

    with translation.override(language):
        for media_url in ("/media/", "http://cdn.example/a&b/"):
            settings.MEDIA_URL = media_url
            for photo in PHOTOS:
                for original in ("", "ru", "en"):
                    for eager in (False, True):
                        expected = picture_with_format_html(photo, "thumb", original, eager)
                        assert picture(photo, "thumb", original, eager) == expected, (photo, original, eager)


def test_a_picture_s_markup(settings):
    photo = SyntheticPhoto(renditions(), alt_text_en="A \"synthetic\" <portrait>")
    assert picture(photo, "thumb", "en") == (
        '<picture>\n  <source srcset="/media/photos/u/thumb.webp" type="image/webp">\n'
        '  <img src="/media/photos/u/thumb.jpg" alt="A &quot;synthetic&quot; &lt;portrait&gt;" width="160" '
        'height="200" loading="lazy" decoding="async">\n</picture>'
    )
