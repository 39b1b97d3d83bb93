"""Photo renditions in an S3-compatible bucket, linked at the site's own ``/media/`` addresses."""

from __future__ import annotations

from django.conf import settings
from storages.backends.s3 import S3Storage


class MediaS3Storage(S3Storage):
    """Files live in the bucket; their URLs stay ``MEDIA_URL`` + name, so every request for a photo
    passes the media view, which serves only a published person's renditions."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + name.lstrip("/")
