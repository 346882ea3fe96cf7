"""Where media files live: one interface, a local folder or S3-compatible storage.

Keys are `<item key>/<file name>`; a stored file is never overwritten (its key is new
for each upload), so its URL can be cached forever. Every call may go over the network
(S3): callers hold no transaction open while they make one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

IMMUTABLE = "public, max-age=31536000, immutable"


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, keys: list[str]) -> None: ...

    def keys(self, prefix: str = "") -> list[str]:
        """The stored keys under `prefix` (for tests and checks; not on hot paths)."""
        ...

    def url(self, key: str) -> str: ...


class LocalStorage:
    """A folder (embedded default: `media` in the instance folder), served by the app at
    `<media_url>/<key>` (api/media/routes.py)."""

    def __init__(self, folder: str | Path, base_url: str):
        self.folder = Path(folder).resolve()
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        path = (self.folder / key).resolve()
        if not path.is_relative_to(self.folder) or path == self.folder:
            raise ValueError(f"not a media key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self.path(key)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # other files are still there
                path.parent.rmdir()

    def keys(self, prefix: str = "") -> list[str]:
        if not self.folder.exists():
            return []
        found = (p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*"))
        return sorted(key for key in found if key.startswith(prefix) and "." in key)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"


class S3Storage:
    """A bucket of S3 or an S3-compatible service (MinIO, R2, ...). Credentials come from
    boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an
    instance role); files are public through `base_url` (the bucket's public URL or a
    CDN in front of it)."""

    def __init__(
        self,
        bucket: str,
        *,
        base_url: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ):
        import boto3  # only when S3 is configured
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.base_url = base_url.rstrip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._object(key),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # S3's most per request
            objects = [{"Key": self._object(key)} for key in keys[start : start + 1000]]
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )

    def keys(self, prefix: str = "") -> list[str]:
        found = []
        strip = len(self.prefix) + 1 if self.prefix else 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._object(prefix)
        )
        for page in pages:
            found += [item["Key"][strip:] for item in page.get("Contents", ())]
        return sorted(found)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{self._object(key)}"


def storage_for(settings, instance_path: str) -> Storage:
    """The storage the settings name (MARGINALIA_MEDIA_*)."""
    if settings.media_storage == "s3":
        endpoint = settings.media_s3_endpoint_url
        default_url = (
            f"{endpoint.rstrip('/')}/{settings.media_s3_bucket}"
            if endpoint
            else f"https://{settings.media_s3_bucket}.s3.amazonaws.com"
        )
        return S3Storage(
            settings.media_s3_bucket,
            base_url=settings.media_url or default_url,
            prefix=settings.media_s3_prefix,
            endpoint_url=endpoint,
            region=settings.media_s3_region,
        )
    folder = settings.media_path or os.path.join(instance_path, "media")
    return LocalStorage(folder, settings.media_url or f"{settings.api_url.rstrip('/')}/media")
