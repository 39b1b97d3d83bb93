"""The photo pipeline: only real images, no metadata, upright, with renditions; hostile files refused."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import ExifTags, Image, ImageCms

from tests.factories import VictimFactory
from tests.test_admin import change_url, victim_form_data
from victims.forms import PhotoForm
from victims.models import Photo

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 20, 20), (20, 20, 220)


def synthetic_jpeg(size=(400, 200), orientation: int | None = None, gps: bool = False) -> bytes:
    """A landscape test picture: left half red, right half blue; optional EXIF orientation and GPS."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SyntheticCam"
    exif[ExifTags.Base.ImageDescription] = "synthetic test picture"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (40.0, 22.0, 0.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (49.0, 50.0, 0.0)
    buffer = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(buffer, "JPEG", exif=exif, quality=90, icc_profile=srgb)
    return buffer.getvalue()


def synthetic_image(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 120, 60) if mode == "RGB" else (10, 120, 60, 128)).save(buffer, fmt)
    return buffer.getvalue()


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def photo_form(file, **data) -> PhotoForm:
    victim = VictimFactory(draft=True)
    fields = {"alt_text": "Sınaq şəkli", "is_primary": "on", **data}
    form = PhotoForm(data=fields, files={"original": file}, instance=Photo(victim=victim))
    return form


def original_error(file) -> str:
    form = photo_form(file)
    assert not form.is_valid()
    return " ".join(form.errors["original"])


def stored_files(photo: Photo) -> list[bytes]:
    files = [storages["private"].open(photo.original.name).read()]
    for entry in photo.renditions.values():
        for fmt in ("webp", "jpeg"):
            files.append(default_storage.open(entry[fmt]).read())
    return files


def save_photo(content: bytes, **kwargs) -> Photo:
    form = photo_form(upload(content), **kwargs)
    assert form.is_valid(), form.errors
    return form.save()


def test_exif_and_gps_are_gone_from_every_stored_file():
    photo = save_photo(synthetic_jpeg(orientation=6, gps=True))
    files = stored_files(photo)
    assert len(files) == 7  # the private original and 3 renditions in 2 formats
    for data in files:
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif(), image.format
            assert "exif" not in image.info and "xmp" not in image.info and "icc_profile" not in image.info
        assert b"SyntheticCam" not in data and b"synthetic test picture" not in data and b"Exif" not in data


def test_orientation_is_applied():
    photo = save_photo(synthetic_jpeg(size=(400, 200), orientation=6))
    assert (photo.width, photo.height) == (200, 400)  # turned upright: portrait
    with storages["private"].open(photo.original.name) as stored, Image.open(stored) as image:
        image = image.convert("RGB")
        top, bottom = image.getpixel((100, 20)), image.getpixel((100, 380))
    assert top[0] > 150 and top[2] < 100  # the red half is now on top
    assert bottom[2] > 150 and bottom[0] < 100


def test_renditions_are_generated_in_webp_and_jpeg():
    photo = save_photo(synthetic_jpeg(size=(2400, 1800)))
    assert set(photo.renditions) == {"thumb", "card", "full"}
    for name, longest in (("thumb", 160), ("card", 480), ("full", 1600)):
        entry = photo.renditions[name]
        assert entry["webp"].startswith(f"photos/{photo.uuid}/") and entry["jpeg"].endswith(".jpg")
        assert max(entry["width"], entry["height"]) == longest
        for fmt, expected in (("webp", "WEBP"), ("jpeg", "JPEG")):
            with default_storage.open(entry[fmt]) as stored, Image.open(stored) as image:
                assert image.format == expected and image.size == (entry["width"], entry["height"])
    assert photo.rendition_url("thumb").startswith("/media/photos/")
    # The original is kept privately, outside the served media folder.
    assert storages["private"].exists(photo.original.name)
    assert photo.original.name == f"originals/{photo.uuid}.jpg"
    assert not default_storage.exists(photo.original.name)
    # The model's field reads from the same (here: the test's temporary) private storage.
    photo = Photo.objects.get(pk=photo.pk)
    with photo.original.open("rb") as original:
        assert Image.open(original).size == (2400, 1800)


def test_small_images_are_not_enlarged_and_transparency_survives_in_webp():
    photo = save_photo(synthetic_image("PNG", size=(100, 80), mode="RGBA"))
    assert photo.renditions["full"]["width"] == 100
    with default_storage.open(photo.renditions["card"]["webp"]) as stored, Image.open(stored) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_other_real_formats_are_accepted(fmt):
    photo = save_photo(synthetic_image(fmt), **{})
    assert photo.renditions["thumb"]["webp"]


def test_a_text_file_renamed_jpg_is_refused_with_a_clear_error():
    message = original_error(upload(b"These are not the pixels you are looking for.\n" * 20, "portrait.jpg"))
    assert "not a photo" in message and "JPEG, PNG, WebP or GIF" in message


def test_an_html_file_renamed_jpg_is_refused():
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    assert "markup or script" in original_error(upload(html, "portrait.jpg"))


def test_an_svg_with_script_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    assert original_error(upload(svg, "portrait.svg", "image/svg+xml"))
    # Even with no script at all, SVG is not one of the accepted formats.
    plain_svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>'
    assert original_error(upload(plain_svg, "portrait.jpg"))


def test_a_gif_javascript_polyglot_is_refused():
    gif = bytearray(synthetic_image("GIF", size=(8, 8)))
    gif[6:8] = b"/*"  # the width bytes open a JavaScript comment, as in the classic GIF/JS polyglot
    polyglot = bytes(gif) + b"*/=1;fetch('/admin/');"
    assert "hidden after the end" in original_error(upload(polyglot, "portrait.gif", "image/gif"))


def test_a_jpeg_with_html_in_a_comment_is_refused():
    image = Image.new("RGB", (32, 32), RED)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", comment=b"<script>alert(1)</script>")
    assert "markup or script" in original_error(upload(buffer.getvalue()))


def test_an_animated_gif_is_refused():
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert "Animated" in original_error(upload(buffer.getvalue(), "a.gif", "image/gif"))


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's header)."""
    data = bytearray(synthetic_image("PNG", size=(1, 1)))
    ihdr = bytearray(data[12:29])  # type + 13 bytes of data
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def test_a_decompression_bomb_is_refused():
    assert "pixels" in original_error(upload(png_claiming_size(30_000, 30_000), "bomb.png", "image/png"))
    # Over the configured limit but under Pillow's own: still refused before decoding.
    assert "pixels" in original_error(upload(png_claiming_size(8_000, 6_000), "big.png", "image/png"))


def test_the_pixel_limit_is_configurable(settings):
    settings.PHOTO_MAX_PIXELS = 1_000
    assert "at most 0.001 million pixels" in original_error(upload(synthetic_image("PNG", size=(50, 50))))


def test_a_100_mb_upload_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.jpg"
    with path.open("wb") as sparse:
        sparse.write(synthetic_jpeg(size=(16, 16)))
        sparse.truncate(100 * 1024 * 1024)  # sparse: takes no space, nothing is allocated in memory
    with path.open("rb") as handle:
        file = UploadedFile(handle, name="huge.jpg", content_type="image/jpeg", size=os.path.getsize(path))
        message = original_error(file)
        assert handle.tell() == 0  # refused on its size, before reading
    assert "100 MB" in message and "at most 15 MB" in message


def test_the_size_limit_is_configurable(settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1024
    assert "at most" in original_error(upload(synthetic_jpeg(size=(300, 300))))


def test_alt_text_is_required_in_some_language():
    form = photo_form(upload(synthetic_jpeg()), alt_text="")
    assert not form.is_valid()
    assert form.errors["alt_text"]


# --- through the admin ---------------------------------------------------------------------------


def photo_rows(*files, primaries=(0,)) -> tuple[dict, dict]:
    data = {"photos-TOTAL_FORMS": str(len(files))}
    uploads = {}
    for n, content in enumerate(files):
        data[f"photos-{n}-alt_text_az"] = f"Sınaq şəkli {n}"
        if n in primaries:
            data[f"photos-{n}-is_primary"] = "on"
        uploads[f"photos-{n}-original"] = upload(content, f"p{n}.jpg")
    return data, uploads


def test_admin_refuses_a_renamed_text_file_with_a_form_error(client, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, files = photo_rows(b"just some text, not a picture")
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, **files})
    assert response.status_code == 200
    assert "This file is not a photo" in response.content.decode()
    assert not Photo.objects.exists()


def test_admin_stores_a_photo_and_its_thumbnail_shows_in_the_list(client, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, files = photo_rows(synthetic_jpeg(gps=True), primaries=())  # a single photo becomes primary
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, **files})
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.is_primary and photo.victim == victim
    listing = client.get("/admin/victims/victim/").content.decode()
    assert photo.renditions["thumb"]["webp"] in listing


def test_admin_requires_alt_text_in_some_language(client, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, files = photo_rows(synthetic_jpeg())
    data["photos-0-alt_text_az"] = ""
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, **files})
    assert response.status_code == 200
    assert "Describe what the photo shows" in response.content.decode()
    data["photos-0-alt_text_ru"] = "Тестовая фотография"
    files = {"photos-0-original": upload(synthetic_jpeg())}
    assert client.post(change_url(victim), {**victim_form_data(victim), **data, **files}).status_code == 302


def test_admin_refuses_two_primary_photos_with_a_readable_error(client, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, files = photo_rows(synthetic_jpeg(), synthetic_jpeg(), primaries=(0, 1))
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, **files})
    assert response.status_code == 200
    assert "Only one photo can be the primary photo" in response.content.decode()
    data, files = photo_rows(synthetic_jpeg(), synthetic_jpeg(), primaries=())
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, **files})
    assert "Mark one of the photos as the primary photo" in response.content.decode()
    assert not Photo.objects.exists()


def test_replacing_a_photo_removes_the_old_renditions(django_capture_on_commit_callbacks):
    photo = save_photo(synthetic_jpeg())
    old_thumb, old_original = photo.renditions["thumb"]["webp"], photo.original.name
    form = PhotoForm(
        data={"alt_text": "Sınaq şəkli", "is_primary": "on"},
        files={"original": upload(synthetic_jpeg(size=(300, 300)))},
        instance=photo,
    )
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        form.save()
    assert not default_storage.exists(old_thumb)  # no longer served
    assert storages["private"].exists(old_original)  # but kept privately, like its history
    assert default_storage.exists(photo.renditions["thumb"]["webp"])


def test_deleting_a_photo_in_the_admin_removes_its_renditions(client, curator, django_capture_on_commit_callbacks):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, files = photo_rows(synthetic_jpeg())
    assert client.post(change_url(victim), {**victim_form_data(victim), **data, **files}).status_code == 302
    photo = Photo.objects.get()
    thumb = photo.renditions["thumb"]["jpeg"]
    assert default_storage.exists(thumb)
    data = {
        **victim_form_data(victim), "photos-TOTAL_FORMS": "1", "photos-INITIAL_FORMS": "1",
        "photos-0-id": str(photo.pk), "photos-0-victim": str(victim.pk), "photos-0-alt_text_az": "Sınaq",
        "photos-0-DELETE": "on",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(victim), data).status_code == 302
    assert not Photo.objects.exists()
    assert not default_storage.exists(thumb)


def test_an_oversized_upload_is_not_stored_as_it_arrives_and_is_refused(client, curator, settings, monkeypatch):
    """Through the whole request: the upload handler stops storing the file past the limit,
    and the form says how large it was."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    settings.PHOTO_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # anything bigger would go to a temporary file
    written = []
    original_receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting_receive(self, raw_data, start):
        written.append(len(raw_data))
        return original_receive(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting_receive)
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data, _ = photo_rows(synthetic_jpeg())
    big = upload(synthetic_jpeg(size=(16, 16)) + b"\0" * (3 * 1024 * 1024), "huge.jpg")
    response = client.post(change_url(victim), {**victim_form_data(victim), **data, "photos-0-original": big})
    assert response.status_code == 200
    assert "The file is 3 MB; photos may be at most 1 MB." in response.content.decode()
    assert sum(written) <= 1024 * 1024  # never more than the limit written to disk
    assert not Photo.objects.exists()


# --- The memory of decoding (issue 13, item 6) ------------------------------------------------
# Each photo is decoded in a fresh Python process that measures its own peak memory (ru_maxrss)
# before and after the pipeline: what a gunicorn worker would spend on that upload.

MEASURE = """
import json, os, resource, sys
import django
django.setup()
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from victims import images
settings.MEDIA_ROOT = sys.argv[2]
translation.activate("en")
upload = SimpleUploadedFile("photo", open(sys.argv[1], "rb").read())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    checked = images.check_upload(upload)
    stored = images.store_renditions(checked, key="00000000-0000-4000-8000-000000000000")
    result = {"size": [stored.width, stored.height]}
except Exception as error:
    result = {"refused": " ".join(getattr(error, "messages", [str(error)]))}
result["peak_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(result))
"""

GENERATE_JPEG = """
import sys
from PIL import Image
width, height, orientation = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
image = Image.new("RGB", (width, height), (200, 200, 198))
image.paste((90, 90, 88), (0, 0, width // 3, height // 2))
exif = Image.Exif()
if orientation:
    exif[0x0112] = orientation
image.save(sys.argv[1], "JPEG", quality=80, exif=exif.tobytes())
"""


def run_python(code: str, *args, timeout: int = 180) -> str:
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def decode_in_a_worker(path, tmp_path) -> dict:
    import json

    return json.loads(run_python(MEASURE, path, tmp_path / "worker-media").strip().splitlines()[-1])


def huge_png(width: int, height: int, pixel: bytes = bytes((200, 200, 198)), color_type: int = 2) -> bytes:
    """A PNG of ``width`` × ``height`` pixels of one colour, compressed row by row: a few hundred
    kilobytes on disk, built without ever holding its pixels in memory."""
    row = b"\x00" + pixel * width
    compressor = zlib.compressobj(9)
    idat = b"".join([compressor.compress(row) for _ in range(height)] + [compressor.flush()])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_the_pixel_limit_follows_from_the_memory_budget(settings):
    assert settings.PHOTO_DECODE_MEMORY_MB == 256
    assert settings.PHOTO_MAX_PIXELS == 256 * 1024 * 1024 // settings.PHOTO_DECODE_BYTES_PER_PIXEL
    assert 25_000_000 < settings.PHOTO_MAX_PIXELS < 40_000_000


@pytest.mark.slow
def test_the_probes_40_megapixel_png_is_refused_before_it_is_decoded(tmp_path, settings):
    path = tmp_path / "forty.png"
    path.write_bytes(huge_png(8000, 5000))
    assert path.stat().st_size < 200 * 1024  # small on disk, 40 million pixels
    result = decode_in_a_worker(path, tmp_path)
    assert "The image is 8000 × 5000 pixels; at most 29.8 million pixels are accepted." in result["refused"]
    assert result["peak_mb"] < 16


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    ["rgb png", "transparent png", "rotated jpeg"],
)
def test_a_photo_at_the_pixel_limit_decodes_within_the_memory_budget(tmp_path, settings, kind):
    """The worst cases at the limit: 4 bytes a pixel with transparency, two copies for a rotation."""
    width = 6500
    height = settings.PHOTO_MAX_PIXELS // width
    path = tmp_path / "limit"
    if kind == "rgb png":
        path.write_bytes(huge_png(width, height))
    elif kind == "transparent png":
        path.write_bytes(huge_png(width, height, bytes((200, 200, 198, 128)), color_type=6))
    else:
        run_python(GENERATE_JPEG, path, width, height, 6)  # EXIF orientation 6: turned upright
        width, height = height, width
    result = decode_in_a_worker(path, tmp_path)
    assert result.get("size") == [width, height], result
    assert result["peak_mb"] <= settings.PHOTO_DECODE_MEMORY_MB, result


@pytest.mark.slow
def test_a_larger_jpeg_is_decoded_at_a_reduced_size_within_the_budget(tmp_path, settings):
    path = tmp_path / "forty.jpg"
    run_python(GENERATE_JPEG, path, 8000, 5000, 0)
    result = decode_in_a_worker(path, tmp_path)
    assert result.get("size") == [4000, 2500], result  # decoded at half its size, never in full
    assert result["peak_mb"] <= settings.PHOTO_DECODE_MEMORY_MB / 2, result


def test_a_jpeg_too_large_even_at_an_eighth_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 1_000
    message = original_error(upload(synthetic_jpeg(size=(400, 200))))  # 80,000 pixels: 1,250 at an eighth
    assert "at most 0.001 million pixels" in message
    settings.PHOTO_MAX_PIXELS = 2_000
    photo = save_photo(synthetic_jpeg(size=(400, 200)))
    assert (photo.width, photo.height) == (50, 25)
