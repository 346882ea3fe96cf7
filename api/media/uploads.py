"""Uploading an image: a network workflow (S3 is another host), so it opens its own
units of work and holds none while files travel.

1. Pillow checks and re-encodes the upload (api/media/images.py): nothing is stored for
   a refused file.
2. The files go to the storage under a new random key, no transaction open.
3. One unit of work records the row and `media.created`. If that fails, the files just
   stored are removed again.
"""

from __future__ import annotations

import logging
import re
import secrets

from flask import current_app
from slugify import slugify

from api.auth.policy import Actor, Permission, ensure
from api.errors import DomainError
from api.infra import unit_of_work as uow
from api.media import services
from api.media.images import ImageRefused, prepare_image
from api.media.models import MediaItem

log = logging.getLogger(__name__)


class UploadRefused(DomainError):
    """An upload that is not an image we store (its status says why: 413, 415, 422)."""

    slug, title = "image-refused", "Image refused"

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


def upload_image(
    actor: Actor | None, data: bytes, filename: str | None, declared_type: str | None
) -> MediaItem:
    ensure(actor, Permission.UPLOAD_MEDIA)
    settings = current_app.config["MARGINALIA"]
    try:
        prepared = prepare_image(
            data,
            declared_type=declared_type,
            max_pixels=settings.media_max_pixels,
            widths=settings.media_widths,
        )
    except ImageRefused as refused:
        raise UploadRefused(refused.status, refused.detail) from None
    item = MediaItem(
        key=secrets.token_hex(12),
        name=_safe_name(filename),
        format=prepared.format.name,
        width=prepared.width,
        height=prepared.height,
        bytes=len(prepared.full),
        widths=sorted(prepared.sizes),
    )
    files = {services.file_name(item): prepared.full}
    files.update({services.file_name(item, w): data for w, data in prepared.sizes.items()})
    uow.end_reads()  # no transaction waits on the storage
    storage = services.storage()
    try:
        for key, content in files.items():
            storage.put(key, content, prepared.format.mime)
        with uow.unit_of_work():
            services.record_media(actor, item)
    except BaseException:
        _remove(list(files))
        raise
    return item


def delete_media(actor: Actor | None, media_id: int) -> None:
    """Delete the row, then (committed) its files; files that cannot be removed now are
    only unreachable, never shown: the row that named them is gone."""
    with uow.unit_of_work():
        keys = services.delete_media(actor, media_id)
    _remove(keys)


def _remove(keys: list[str]) -> None:
    try:
        services.storage().delete(keys)
    except Exception:
        log.warning("media files left in the storage: %s", ", ".join(keys), exc_info=True)


_UNSAFE = re.compile(r"[^a-z0-9-]")


def _safe_name(filename: str | None) -> str:
    """The upload's name without its extension, as a slug (the extension comes from the
    content): URL-safe, never a path."""
    stem = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = _UNSAFE.sub("", slugify(stem, max_length=80))
    return name or "image"
