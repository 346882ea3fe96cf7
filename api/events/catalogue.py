"""Every event type the API records: the one list, named in the past tense.

Services record these (api/events/outbox.py), the wiring table (api/wiring.py) names
which handlers react to which, webhook endpoints subscribe to them (or to `area.*`
patterns), and the README's table and the contract's enum are generated from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str  # `area.verb`, as deliveries and the feed carry it
    description: str

    @property
    def area(self) -> str:
        return self.name.partition(".")[0]

    def __str__(self) -> str:
        return self.name


POST_CREATED = EventType("post.created", "A post was created as a draft.")
POST_SCHEDULED = EventType("post.scheduled", "A post was scheduled for `published_at`.")
POST_PUBLISHED = EventType(
    "post.published", "A post became public (created published, published, or due)."
)
POST_UPDATED = EventType("post.updated", "A post changed and its status did not.")
POST_UNPUBLISHED = EventType(
    "post.unpublished", "A public post went back to draft (by staff, or at `unpublish_at`)."
)
POST_DELETED = EventType("post.deleted", "A post was deleted, its comments with it.")
POST_REVISION_RESTORED = EventType(
    "post.revision_restored", "A post's content was restored from one of its revisions."
)
POST_DRAFT_SAVED = EventType(
    "post.draft_saved", "Pending changes to a published post were saved (readers see none)."
)
POST_DRAFT_PUBLISHED = EventType(
    "post.draft_published", "A published post's pending draft went live (by staff or due)."
)
PAGE_CREATED = EventType("page.created", "A page was created as a draft.")
PAGE_SCHEDULED = EventType("page.scheduled", "A page was scheduled for `published_at`.")
PAGE_PUBLISHED = EventType(
    "page.published", "A page became public (created published, published, or due)."
)
PAGE_UPDATED = EventType("page.updated", "A page changed and its status did not.")
PAGE_UNPUBLISHED = EventType(
    "page.unpublished", "A public page went back to draft (by staff, or at `unpublish_at`)."
)
PAGE_DELETED = EventType("page.deleted", "A page was deleted, its comments with it.")
PAGE_REVISION_RESTORED = EventType(
    "page.revision_restored", "A page's content was restored from one of its revisions."
)
PAGE_DRAFT_SAVED = EventType(
    "page.draft_saved", "Pending changes to a published page were saved (readers see none)."
)
PAGE_DRAFT_PUBLISHED = EventType(
    "page.draft_published", "A published page's pending draft went live (by staff or due)."
)
AUTHOR_CREATED = EventType("author.created", "An author was created.")
AUTHOR_UPDATED = EventType("author.updated", "An author changed.")
AUTHOR_DELETED = EventType("author.deleted", "An author was deleted.")
TAG_CREATED = EventType("tag.created", "A tag was created (also by naming it on a post).")
TAG_UPDATED = EventType("tag.updated", "A tag changed.")
TAG_DELETED = EventType("tag.deleted", "A tag was deleted.")
COMMENT_CREATED = EventType(
    "comment.created", "A comment was submitted or imported, with the status it got."
)
COMMENT_UPDATED = EventType("comment.updated", "A comment's author edited it.")
COMMENT_APPROVED = EventType("comment.approved", "A moderator approved a comment or pingback.")
COMMENT_SPAMMED = EventType("comment.spammed", "A moderator marked a comment spam.")
COMMENT_TRASHED = EventType(
    "comment.trashed",
    "A comment went to the trash (a moderator, its author, or a pingback whose link went).",
)
COMMENT_RESTORED = EventType(
    "comment.restored", "A comment went back to pending, or a trashed pingback came back."
)
PINGBACK_RECEIVED = EventType(
    "pingback.received", "A pingback or Webmention entry was added to a post."
)
MEDIA_CREATED = EventType("media.created", "An image was uploaded and its sizes stored.")
MEDIA_DELETED = EventType("media.deleted", "An image and its stored files were deleted.")
CONTENT_KEY_REVOKED = EventType(
    "content_key.revoked", "An admin revoked a Content API key (reads made with it end)."
)
IMPORT_COMPLETED = EventType(
    "import.completed",
    "An import (`marginalia import …`) finished; its counts, instead of one event per item.",
)
PRIVACY_ERASED = EventType(
    "privacy.erased",
    "A commenter's data was erased: the comment ids anonymised or deleted (no personal data).",
)
WEBHOOK_TEST = EventType(
    "webhook.test", "An admin asked for a test delivery (sent to that endpoint only)."
)

CATALOGUE: tuple[EventType, ...] = (
    POST_CREATED,
    POST_SCHEDULED,
    POST_PUBLISHED,
    POST_UPDATED,
    POST_UNPUBLISHED,
    POST_DELETED,
    POST_REVISION_RESTORED,
    POST_DRAFT_SAVED,
    POST_DRAFT_PUBLISHED,
    PAGE_CREATED,
    PAGE_SCHEDULED,
    PAGE_PUBLISHED,
    PAGE_UPDATED,
    PAGE_UNPUBLISHED,
    PAGE_DELETED,
    PAGE_REVISION_RESTORED,
    PAGE_DRAFT_SAVED,
    PAGE_DRAFT_PUBLISHED,
    AUTHOR_CREATED,
    AUTHOR_UPDATED,
    AUTHOR_DELETED,
    TAG_CREATED,
    TAG_UPDATED,
    TAG_DELETED,
    COMMENT_CREATED,
    COMMENT_UPDATED,
    COMMENT_APPROVED,
    COMMENT_SPAMMED,
    COMMENT_TRASHED,
    COMMENT_RESTORED,
    PINGBACK_RECEIVED,
    MEDIA_CREATED,
    MEDIA_DELETED,
    CONTENT_KEY_REVOKED,
    IMPORT_COMPLETED,
    PRIVACY_ERASED,
    WEBHOOK_TEST,
)
BY_NAME = {event_type.name: event_type for event_type in CATALOGUE}
AREAS = tuple(dict.fromkeys(event_type.area for event_type in CATALOGUE))
# What a webhook endpoint may subscribe to: every type, every area (`comment.*`), or all
# (`*`). A test event is sent to its endpoint without a subscription.
SUBSCRIBABLE: tuple[str, ...] = (
    "*",
    *(f"{area}.*" for area in AREAS if area != WEBHOOK_TEST.area),
    *(event_type.name for event_type in CATALOGUE if event_type is not WEBHOOK_TEST),
)


def in_area(area: str) -> tuple[EventType, ...]:
    """Every type of one area (`post`): what the pattern `post.*` names."""
    return tuple(event_type for event_type in CATALOGUE if event_type.area == area)


def markdown_table() -> str:
    """The README's list of event types (tests/unit/test_event_catalogue.py holds the
    README to it; `marginalia event-types` prints it)."""
    lines = ["| event type | when |", "| --- | --- |"]
    lines += [f"| `{t.name}` | {t.description} |" for t in CATALOGUE]
    return "\n".join(lines) + "\n"
