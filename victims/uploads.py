"""An upload handler that stops storing a photo as soon as it passes the size limit.

Django writes an upload to memory or a temporary file before any form sees it. For photo fields
(named ``original``, as in the admin's photo inlines) this handler, placed first in
``FILE_UPLOAD_HANDLERS``, passes chunks on only while the file is within
``PHOTO_MAX_UPLOAD_BYTES``; past that it keeps counting but stores nothing, and hands the form an
empty stand-in that knows the real size, so the form refuses it with a clear message and a
100 MB upload never reaches the disk.
"""

from __future__ import annotations

import io
import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

PHOTO_FIELD = re.compile(r"(^|-)original$")


class OversizedUpload(UploadedFile):
    """What is left of an upload that was too large: its name and size, no content."""

    def __init__(self, *, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class PhotoSizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.limited = bool(PHOTO_FIELD.search(field_name))
        self.oversized = False
        self.limit = getattr(settings, "PHOTO_MAX_UPLOAD_BYTES", 15 * 1024 * 1024)

    def receive_data_chunk(self, raw_data, start):
        if self.limited and start + len(raw_data) > self.limit:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size):
        if self.limited and self.oversized:
            return OversizedUpload(name=self.file_name, content_type=self.content_type, size=file_size)
        return None
