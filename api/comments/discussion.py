"""Discussion settings: what the intake rules are tuned by.

The starting values come from the configuration (`[discussion]` in the TOML settings,
WordPress's defaults where WordPress has the setting); what an admin changes through
`PATCH /v1/settings/discussion` is stored in the database and wins. Every instance reads
the stored row, so a change applies to all of them at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select

from api.comments.models import DiscussionSettingsRow
from api.errors import Conflict, InvalidInput, PreconditionFailed
from api.infra import unit_of_work
from api.infra.database import db, executor
from api.infra.timestamps import utcnow
from config import ConfigError, Settings

ROW_ID = 1
MAX_KEYS = 1000
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class DiscussionSettings:
    allow_anonymous: bool = True
    require_author_name: bool = True
    require_author_email: bool = True
    close_comments_for_old_posts: bool = False
    close_comments_days_old: int = 14
    thread_comments: bool = True
    thread_comments_depth: int = 5
    hold_all: bool = False
    previously_approved: bool = True
    max_links: int = 2
    moderation_keys: tuple[str, ...] = ()
    disallowed_keys: tuple[str, ...] = ()
    flood_interval: int = 15
    edit_window: int = 900
    max_comment_length: int = 65525
    # Spam and trash are deleted this many days after they became spam or trash
    # (Akismet's 15 days for spam, WordPress's EMPTY_TRASH_DAYS 30).
    purge_spam_days: int = 15
    purge_trash_days: int = 30
    # How long a moderator's claim on queue items lasts (POST /v1/moderation/claims).
    claim_lease_seconds: int = 300

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["moderation_keys"] = list(self.moderation_keys)
        data["disallowed_keys"] = list(self.disallowed_keys)
        return data

    def changed(self, values: dict[str, Any]) -> DiscussionSettings:
        """These settings with `values` applied; ValueError names a bad key or value."""
        current = asdict(self)
        for key, value in values.items():
            if key not in current:
                raise ValueError(f"{key}: not a discussion setting")
            current[key] = _checked(key, value)
        return DiscussionSettings(**current)


# (minimum, maximum) of each integer setting.
RANGES = {
    "close_comments_days_old": (1, 36500),
    "thread_comments_depth": (2, 10),
    "max_links": (0, 1000),
    "flood_interval": (0, 3600),
    "edit_window": (0, 86400),
    "max_comment_length": (1, 65525),
    "purge_spam_days": (1, 36500),
    "purge_trash_days": (1, 36500),
    "claim_lease_seconds": (30, 86400),
}
NAMES = tuple(f.name for f in fields(DiscussionSettings))


def _checked(key: str, value: Any) -> Any:
    kind = type(getattr(DiscussionSettings(), key))
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{key}: must be true or false")
        return value
    if kind is int:
        low, high = RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{key}: must be an integer from {low} to {high}")
        return value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: must be a list of strings")
    keys = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(keys) > MAX_KEYS or any(len(v) > MAX_KEY_LENGTH for v in keys):
        raise ValueError(f"{key}: at most {MAX_KEYS} entries of {MAX_KEY_LENGTH} characters")
    return keys


def configured_defaults(settings: Settings) -> DiscussionSettings:
    """The defaults from the configuration; a bad `[discussion]` value fails at start."""
    try:
        return DiscussionSettings().changed(settings.discussion)
    except ValueError as exc:
        raise ConfigError(f"[discussion] {exc}") from None


# --- the service ------------------------------------------------------------------------


def current(settings: Settings) -> DiscussionSettings:
    """The settings in force: the configured defaults with the stored changes applied.

    Stored values that are no longer valid (a key renamed, a range tightened) are skipped
    rather than breaking comment intake.
    """
    return with_stored(settings, executor().scalar(_STORED_VALUES))


def with_stored(settings: Settings, stored: dict | None) -> DiscussionSettings:
    """The settings in force, from stored changes read elsewhere (`STORED_VALUES`, in
    the statement that reads a comment's post)."""
    effective = _defaults_of(settings)
    if not stored:
        return effective
    valid = {}
    for key, value in stored.items():
        if key in NAMES:
            try:
                valid[key] = _checked(key, value)
            except ValueError:
                continue
    return effective.changed(valid)


# Every comment reads the settings: the configured half is worked out once per Settings.
_STORED_VALUES = select(DiscussionSettingsRow.values).where(DiscussionSettingsRow.id == ROW_ID)
STORED_VALUES = _STORED_VALUES.scalar_subquery()
_defaults_by_settings: dict[int, tuple[Settings, DiscussionSettings]] = {}


def _defaults_of(settings: Settings) -> DiscussionSettings:
    known = _defaults_by_settings.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    defaults = configured_defaults(settings)
    if len(_defaults_by_settings) > 64:  # test suites make many apps; keep it bounded
        _defaults_by_settings.clear()
    _defaults_by_settings[id(settings)] = (settings, defaults)
    return defaults


def update(
    settings: Settings,
    changes: dict[str, Any],
    precondition: Callable[[DiscussionSettings], None] | None,
) -> DiscussionSettings:
    """Apply an admin's changes (validated as a whole) and store them."""
    row = db.session.scalar(
        select(DiscussionSettingsRow).where(DiscussionSettingsRow.id == ROW_ID).with_for_update()
    )
    before = current(settings)
    if precondition:
        precondition(before)
    try:
        after = before.changed(changes)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise InvalidInput(errors={key: [message]}) from None
    if row is None:
        row = DiscussionSettingsRow(id=ROW_ID, values={})
        db.session.add(row)
    stored = dict(row.values or {})
    stored.update({key: after.as_dict()[key] for key in changes})
    row.values = stored
    row.updated_at = utcnow()
    # Another admin saving first (an update, or the very first row) is a stale If-Match.
    stale = "The settings changed while being saved; retry."
    try:
        unit_of_work.flush(stale=stale)
    except Conflict:
        raise PreconditionFailed(stale) from None
    return after


def add_disallowed_keys(settings: Settings, keys: list[str]) -> None:
    """A moderator marked an author's comment spam and asked to block them: their email
    and IP join the disallowed keys, in the caller's unit of work."""
    row = db.session.scalar(
        select(DiscussionSettingsRow).where(DiscussionSettingsRow.id == ROW_ID).with_for_update()
    )
    before = current(settings)
    wanted = [key for key in dict.fromkeys(keys) if key and key not in before.disallowed_keys]
    if not wanted:
        return
    try:
        after = before.changed({"disallowed_keys": [*before.disallowed_keys, *wanted]})
    except ValueError:
        raise InvalidInput(
            errors={
                "block_author": [
                    f"The disallowed keys are full ({MAX_KEYS}); remove some in the "
                    "discussion settings first."
                ]
            }
        ) from None
    if row is None:
        row = DiscussionSettingsRow(id=ROW_ID, values={})
        db.session.add(row)
    row.values = {**(row.values or {}), "disallowed_keys": list(after.disallowed_keys)}
    row.updated_at = utcnow()


def forget_keys(settings: Settings, values: list[str]) -> None:
    """An erased commenter's email, IP, name or URL leaves the moderation and disallowed
    keys an admin (or a moderator's "block author") stored: the block goes with the data."""
    row = db.session.scalar(
        select(DiscussionSettingsRow).where(DiscussionSettingsRow.id == ROW_ID).with_for_update()
    )
    if row is None:
        return
    erased = {value.strip().lower() for value in values if value}
    stored = dict(row.values or {})
    changed = False
    for name in ("moderation_keys", "disallowed_keys"):
        keys = stored.get(name)
        if isinstance(keys, list):
            kept = [key for key in keys if str(key).strip().lower() not in erased]
            if kept != keys:
                stored[name], changed = kept, True
    if changed:
        row.values = stored
        row.updated_at = utcnow()
