"""The photo pipeline: check an upload is a real, reasonable image, then store it without metadata.

The content decides, never the file name: Pillow must identify and verify the file as JPEG, PNG,
WebP or a still GIF. Files over ``PHOTO_MAX_UPLOAD_BYTES`` are refused before they are read, images
over ``PHOTO_MAX_PIXELS`` before they are decoded (Pillow's decompression-bomb warning is an error
here too), except a JPEG, which is decoded at a half, quarter or eighth of its size when that fits.
The pixel limit follows from a worker's memory budget (``PHOTO_DECODE_MEMORY_MB``): the pipeline
holds one full-size copy of the pixels, two for a moment (an EXIF rotation, a palette converted).
Markup hidden in an image (HTML or script polyglots) and data after the end of a GIF or PNG are
refused.

What is stored is always re-encoded from the decoded pixels, after EXIF orientation is applied,
so no metadata (EXIF, GPS, XMP, comments, ICC) survives: the original goes to the private storage
(never served) and renditions in WebP and JPEG go to the default storage under ``photos/<uuid>/``.
"""

from __future__ import annotations

import io
import re
import tempfile
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage, storages
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Longest side of each rendition, in pixels.
RENDITIONS = {"thumb": 160, "card": 480, "full": 1600}
# What a browser would treat as markup or script; no real photo contains these byte strings.
_MARKUP = re.compile(
    rb"<\s*(script|html|svg|body|iframe|object|embed|!doctype|\?php)|javascript\s*:|\bon(error|load)\s*=",
    re.IGNORECASE,
)
_ORIGINAL_FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"), "GIF": ("PNG", "png")}


@dataclass
class CheckedImage:
    """An upload that passed every check: its decoded, upright pixels and its format."""

    image: Image.Image
    format: str

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def _max_bytes() -> int:
    return getattr(settings, "PHOTO_MAX_UPLOAD_BYTES", 15 * 1024 * 1024)


def _max_pixels() -> int:
    return settings.PHOTO_MAX_PIXELS


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}"


def _gif_end(data: bytes) -> int | None:
    """The offset just after a GIF's trailer, walking its block structure; None if malformed."""
    try:
        pos = 13
        flags = data[10]
        if flags & 0x80:
            pos += 3 * (2 ** ((flags & 0x07) + 1))
        while True:
            block = data[pos]
            if block == 0x3B:  # trailer
                return pos + 1
            if block == 0x21:  # extension: label, then sub-blocks
                pos += 2
            elif block == 0x2C:  # image descriptor, optional local colour table, LZW code size
                local = data[pos + 9]
                pos += 10
                if local & 0x80:
                    pos += 3 * (2 ** ((local & 0x07) + 1))
                pos += 1
            else:
                return None
            while True:
                length = data[pos]
                pos += 1 + length
                if length == 0:
                    break
    except IndexError:
        return None


def _png_end(data: bytes) -> int | None:
    """The offset just after a PNG's IEND chunk, walking its chunks; None if malformed."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= len(data) else None
    return None


def _trailing_data(data: bytes, image_format: str) -> bool:
    """True when bytes follow the image's own end (a common way to smuggle a payload)."""
    if image_format == "GIF":
        end = _gif_end(data)
    elif image_format == "PNG":
        end = _png_end(data)
    else:
        return False
    return end is None or data[end:].strip(b"\x00\r\n\t ") != b""


def check_upload(upload) -> CheckedImage:
    """Check an uploaded file and return its decoded, upright pixels; ValidationError otherwise."""
    max_bytes = _max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; photos may be at most %(max)s MB."),
            code="too_large",
            params={"size": _megabytes(size), "max": _megabytes(max_bytes)},
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(max)s MB, the most a photo may be."),
            code="too_large",
            params={"max": _megabytes(max_bytes)},
        )
    not_an_image = ValidationError(
        _(
            "This file is not a photo: upload a JPEG, PNG, WebP or GIF image (the file's content decides, not its name)."
        ),
        code="not_an_image",
    )
    if _MARKUP.search(data):
        raise ValidationError(
            _("This file contains web page markup or script and is refused. Upload a plain photo."),
            code="markup",
        )
    width = height = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                frames = getattr(probe, "n_frames", 1)
                if image_format not in ALLOWED_FORMATS:
                    raise not_an_image
                if width * height > _max_pixels() and _draft_size(image_format, width, height) is None:
                    raise _too_many_pixels(width, height)
                probe.verify()
            if frames > 1:
                raise ValidationError(_("Animated images are not accepted; upload a still photo."), code="animated")
            if _trailing_data(data, image_format):
                raise ValidationError(
                    _("This file has data hidden after the end of the image and is refused."), code="trailing_data"
                )
            image = Image.open(io.BytesIO(data))
            if (width * height > _max_pixels()) and (reduced := _draft_size(image_format, width, height)):
                image.draft(image.mode, reduced)  # JPEG decodes at 1/2, 1/4 or 1/8 of its size
            image.load()
            if image.width * image.height > _max_pixels():
                raise _too_many_pixels(width, height)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(width, height) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise not_an_image from None
    del data  # from here on, one full-size copy of the pixels at a time (see PHOTO_DECODE_MEMORY_MB)
    image = _pixels_only(image)
    ImageOps.exif_transpose(image, in_place=True)
    return CheckedImage(image=_to_srgb(image), format=image_format)


def _draft_size(image_format: str, width: int, height: int) -> tuple[int, int] | None:
    """The size a JPEG over the pixel limit can be decoded at instead (its decoder scales by 1/2,
    1/4 or 1/8 while decoding, so the full size is never in memory); None when it cannot."""
    if image_format != "JPEG":
        return None
    for scale in (2, 4, 8):
        # The decoder rounds up; the size asked for is rounded down so that it picks this scale.
        if -(-width // scale) * -(-height // scale) <= _max_pixels():
            return (max(width // scale, 1), max(height // scale, 1))
    return None


def _pixels_only(image: Image.Image) -> Image.Image:
    """The decoded image in a mode the pipeline keeps (RGB, RGBA or L), converted once here so
    that later steps never hold two full-size copies. The EXIF orientation is kept for
    ``exif_transpose``; everything else goes with the other metadata later."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    target = "RGBA" if has_alpha else ("L" if image.mode in ("L", "1", "I;16", "I") else "RGB")
    if image.mode == target:
        return image
    exif = image.getexif()
    icc = image.info.get("icc_profile")
    try:
        converted = image.convert(target)
    finally:
        image.close()
    if exif:
        converted.info["exif"] = exif.tobytes()
    if icc:
        converted.info["icc_profile"] = icc
    return converted


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as the embedded ICC profile means them, in sRGB: the profile itself is dropped
    with the other metadata, so its effect is applied first. Unreadable profiles are ignored."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        in_place = image.mode == output_mode  # no second full-size copy
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode, inPlace=in_place
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return image if in_place else (converted or image)


def _too_many_pixels(width: int, height: int) -> ValidationError:
    if not width:
        return ValidationError(
            _("The image has too many pixels; at most %(max)s million pixels are accepted."),
            code="too_many_pixels",
            params={"max": f"{_max_pixels() / 1_000_000:.3g}"},
        )
    return ValidationError(
        _("The image is %(width)s × %(height)s pixels; at most %(max)s million pixels are accepted."),
        code="too_many_pixels",
        params={"width": width, "height": height, "max": f"{_max_pixels() / 1_000_000:.3g}"},
    )


def _clean_pixels(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """The pixels only: no EXIF, ICC profile, comments or other info. A copy only when the mode
    changes (the image given is the pipeline's own, and its info is not needed any more)."""
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if keep_alpha and has_alpha:
        clean = image if image.mode == "RGBA" else image.convert("RGBA")
    elif has_alpha:
        rgba = image.convert("RGBA") if image.mode != "RGBA" else image
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
    else:
        clean = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    clean.info = {}
    return clean


def _encode(image: Image.Image, image_format: str, buffer=None) -> bytes:
    buffer = buffer if buffer is not None else io.BytesIO()
    if image_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        # Progressive encoding keeps every coefficient of the image in memory: only for the small
        # renditions a browser shows, not for a full-size original.
        small = image.width * image.height <= 4_000_000
        image.save(buffer, "JPEG", quality=88, optimize=small, progressive=small)
    elif image_format == "WEBP":
        image.save(buffer, "WEBP", quality=82, method=4)
    else:
        image.save(buffer, image_format, optimize=True)
    return buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""


@dataclass
class StoredImage:
    original_name: str
    original_content: File
    width: int
    height: int
    renditions: dict


def encode_original(checked: CheckedImage, *, key: str) -> File:
    """The full-size image re-encoded from its pixels (no metadata), named ``<key>.<ext>``."""
    original_format, extension = _ORIGINAL_FORMATS[checked.format]
    # The full-size original is written to a temporary file, not kept in memory a second time.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller inside the File
    _encode(_clean_pixels(checked.image, keep_alpha=original_format != "JPEG"), original_format, spool)
    spool.seek(0)
    return File(spool, name=f"{key}.{extension}")


def store_renditions(checked: CheckedImage, *, key: str) -> StoredImage:
    """Write the renditions of ``checked`` under ``photos/<key>/`` and prepare the clean original.

    Returns the original's file name and content (for the model's private ``FileField``), the
    upright size and the ``renditions`` mapping stored on the photo.
    """
    image = checked.image
    original_content = encode_original(checked, key=key)

    # The largest rendition from the full image, the smaller ones from it: never a full-size copy.
    renditions: dict[str, dict] = {}
    source = image
    for name, longest in sorted(RENDITIONS.items(), key=lambda item: -item[1]):
        copy = _downscaled(_clean_pixels(source, keep_alpha=True), longest)
        entry: dict = {"width": copy.width, "height": copy.height}
        for fmt, ext in (("webp", "webp"), ("jpeg", "jpg")):
            data = _encode(copy if fmt == "webp" else _clean_pixels(copy, keep_alpha=False), fmt.upper())
            entry[fmt] = default_storage.save(f"photos/{key}/{name}.{ext}", ContentFile(data))
        renditions[name] = entry
        source = copy
    renditions = {name: renditions[name] for name in RENDITIONS}
    return StoredImage(
        original_name=original_content.name,
        original_content=original_content,
        width=image.width,
        height=image.height,
        renditions=renditions,
    )


def _downscaled(image: Image.Image, longest: int) -> Image.Image:
    """A new image at most ``longest`` pixels on its longest side. A large image is first reduced
    by the largest whole factor that keeps it at least that size (box averaging, strip by strip),
    then resampled: LANCZOS straight from the full size would hold further full-size copies."""
    if max(image.size) <= longest:
        return image.copy()
    factor = max(image.size) // longest
    if factor > 1:
        image = _reduced(image, factor)
    return ImageOps.contain(image, (longest, longest), Image.Resampling.LANCZOS)


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """``image.reduce(factor)``; with transparency, strip by strip (Pillow premultiplies RGBA into
    a full-size copy first, which would double the memory of a large photo)."""
    if image.mode not in ("RGBA", "LA"):
        return image.reduce(factor)
    width, height = image.size
    reduced = Image.new(image.mode, (-(-width // factor), -(-height // factor)))
    rows = factor * max(1, 256 // factor)  # a whole number of factors per strip
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(top + rows, height)))
        reduced.paste(strip.reduce(factor), (0, top // factor))
    return reduced


def delete_stored(*, renditions: dict, original_name: str = "") -> None:
    """Remove the files of a photo (renditions in the default storage, the private original)."""
    for entry in renditions.values():
        for fmt in ("webp", "jpeg"):
            if entry.get(fmt):
                default_storage.delete(entry[fmt])
    if original_name:
        storages["private"].delete(original_name)
