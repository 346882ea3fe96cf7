"""Media rows: recorded, listed, read and deleted in the caller's unit of work. The
files themselves are stored and removed by api/media/uploads.py, outside transactions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from api.auth.policy import Actor, Permission, ensure
from api.content.services import images_in_use
from api.errors import Conflict, NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.media.images import FORMATS
from api.media.models import MediaItem
from api.media.storage import Storage

_MIME = {kind.name: kind.mime for kind in FORMATS}
_EXTENSION = {kind.name: kind.extension for kind in FORMATS}
NEWEST_FIRST = (SortKey(MediaItem.id, True),)


@dataclass(frozen=True)
class StoredFile:
    key: str
    url: str
    width: int
    height: int


def storage() -> Storage:
    return current_app.extensions["marginalia.media_storage"]


def file_name(item: MediaItem, width: int | None = None) -> str:
    """`<key>/<name>.<ext>` for the full image, `<key>/<name>-<width>w.<ext>` for a copy."""
    suffix = f"-{width}w" if width else ""
    return f"{item.key}/{item.name}{suffix}.{_EXTENSION[item.format]}"


def files_of(item: MediaItem) -> list[StoredFile]:
    """Its stored files, smallest first, the full image last."""
    found = [
        StoredFile(
            file_name(item, width),
            storage().url(file_name(item, width)),
            width,
            max(1, round(item.height * width / item.width)),
        )
        for width in item.widths
    ]
    full = file_name(item)
    return [*found, StoredFile(full, storage().url(full), item.width, item.height)]


def media_type(item: MediaItem) -> str:
    return _MIME[item.format]


def record_media(actor: Actor | None, item: MediaItem) -> MediaItem:
    """The row of an upload whose files are stored already."""
    ensure(actor, Permission.UPLOAD_MEDIA)
    db.session.add(item)
    unit_of_work.flush()
    record_event(events.MEDIA_CREATED, {"media": media_data(item)})
    return item


def list_media(actor: Actor | None, *, limit: int, cursor: str | None, codec: CursorCodec) -> Page:
    ensure(actor, Permission.UPLOAD_MEDIA)
    return paginate(
        db.session,
        select(MediaItem),
        NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=lambda item: [item.id],
    )


def get_media(actor: Actor | None, media_id: int) -> MediaItem:
    ensure(actor, Permission.UPLOAD_MEDIA)
    item = db.session.get(MediaItem, media_id)
    if item is None:
        raise NotFound(f"No media with id {media_id}.")
    return item


def delete_media(actor: Actor | None, media_id: int) -> list[str]:
    """Delete the row (refused while a post or page shows the image); the keys of its
    files, for the caller to remove once this has committed."""
    ensure(actor, Permission.DELETE_MEDIA)
    item = db.session.scalar(select(MediaItem).where(MediaItem.id == media_id).with_for_update())
    if item is None:
        raise NotFound(f"No media with id {media_id}.")
    files = files_of(item)
    if images_in_use({file.url for file in files}):
        raise Conflict(
            "A post or page shows this image (feature, og or twitter image): change those first."
        )
    record_event(events.MEDIA_DELETED, {"media": media_data(item)})
    db.session.delete(item)
    unit_of_work.flush()
    return [file.key for file in files]


def media_data(item: MediaItem) -> dict:
    """The media item as events carry it."""
    return {
        "id": item.id,
        "url": storage().url(file_name(item)),
        "media_type": media_type(item),
        "width": item.width,
        "height": item.height,
        "widths": list(item.widths),
    }


# --- public reads (WordPress's /wp/v2/media) ---------------------------------------


def list_public_media(
    *, ids: tuple[int, ...] = (), exclude_ids: tuple[int, ...] = (), offset: int, limit: int
) -> tuple[list[dict], int]:
    """Images as a public media library shows them (their files are public already):
    newest first, with the total."""
    from sqlalchemy import func

    conditions = []
    if ids:
        conditions.append(MediaItem.id.in_(ids))
    if exclude_ids:
        conditions.append(MediaItem.id.not_in(exclude_ids))
    query = select(MediaItem).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(MediaItem).where(*conditions))
    items = db.session.scalars(query.order_by(MediaItem.id.desc()).offset(offset).limit(limit))
    return [public_media_data(item) for item in items], int(total or 0)


def public_media_data(item: MediaItem) -> dict:
    stored = files_of(item)
    return {
        "id": item.id,
        "url": stored[-1].url,
        "filename": stored[-1].key.rsplit("/", 1)[-1],
        "slug": item.name,
        "title": item.name,
        "content_type": media_type(item),
        "width": item.width,
        "height": item.height,
        "size": item.bytes,
        "variants": [{"width": f.width, "height": f.height, "url": f.url} for f in stored[:-1]],
        "created_at": item.created_at.isoformat(),
    }
