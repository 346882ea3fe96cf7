"""Who may do what. Every authorisation decision in the API is made here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.errors import Forbidden, Unauthorized


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AUTHOR = "author"
    MODERATOR = "moderator"
    EVENT_READER = "event-reader"  # a consumer catching up on GET /v1/events, nothing else


class Permission(StrEnum):
    READ_DRAFTS = "drafts.read"
    WRITE_POSTS = "posts.write"
    WRITE_TAXONOMY = "taxonomy.write"  # authors and tags
    MODERATE = "comments.moderate"
    READ_EVENTS = "events.read"
    MANAGE_WEBHOOKS = "webhooks.manage"
    MANAGE_TOKENS = "tokens.manage"
    MANAGE_SETTINGS = "settings.manage"
    UPLOAD_MEDIA = "media.upload"  # upload, list and read media
    DELETE_MEDIA = "media.delete"
    MANAGE_PRIVACY = "privacy.manage"  # commenters' data: read it all, erase it (admins)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.EDITOR: frozenset(
        {
            Permission.READ_DRAFTS,
            Permission.WRITE_POSTS,
            Permission.WRITE_TAXONOMY,
            Permission.UPLOAD_MEDIA,
            Permission.DELETE_MEDIA,
        }
    ),
    # An author's post permissions are limited to their own posts (see may_write_post);
    # like WordPress's authors they upload images, and leave deleting them to editors.
    Role.AUTHOR: frozenset(
        {Permission.READ_DRAFTS, Permission.WRITE_POSTS, Permission.UPLOAD_MEDIA}
    ),
    Role.MODERATOR: frozenset({Permission.MODERATE}),
    Role.EVENT_READER: frozenset({Permission.READ_EVENTS}),
}


@dataclass(frozen=True)
class Actor:
    """The staff member behind a request."""

    token_id: int
    name: str
    role: Role
    author_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def can_read_drafts(self) -> bool:
        return self.can(Permission.READ_DRAFTS)

    @property
    def sees_all_posts(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)

    @property
    def is_system(self) -> bool:
        """A writer with no token: the importer, the scheduler, the demo loader."""
        return self.token_id == SYSTEM_TOKEN_ID


SYSTEM_TOKEN_ID = 0


def system_actor(purpose: str) -> Actor:
    """The API's own writers act as an admin without a token; revisions name them
    "system: <purpose>"."""
    return Actor(token_id=SYSTEM_TOKEN_ID, name=f"system: {purpose}", role=Role.ADMIN)


IMPORTER = system_actor("importer")
SCHEDULER = system_actor("scheduler")


def ensure(actor: Actor | None, permission: Permission) -> Actor:
    """The actor, if it holds `permission`; 401 without one, 403 without the right."""
    if actor is None:
        raise Unauthorized("This operation needs a staff token: Authorization: Bearer <token>.")
    if not actor.can(permission):
        raise Forbidden(f"The {actor.role} role may not do this ({permission}).")
    return actor


def sees_content_internals(actor: Actor | None) -> bool:
    """Whether reads of posts and authors show what only the writers need: authors'
    emails and posts' Markdown. Moderators (who need commenters' data, not authors')
    and event readers (who need the event feed only) read them as the public does."""
    return actor is not None and (
        actor.can(Permission.READ_DRAFTS) or actor.can(Permission.WRITE_TAXONOMY)
    )


def may_write_post(actor: Actor, author_id: int | None) -> bool:
    if not actor.can(Permission.WRITE_POSTS):
        return False
    return actor.sees_all_posts or (author_id is not None and author_id == actor.author_id)


def ensure_may_write_post(actor: Actor | None, author_id: int | None) -> Actor:
    actor = ensure(actor, Permission.WRITE_POSTS)
    if not may_write_post(actor, author_id):
        raise Forbidden("Authors may only write their own posts.")
    return actor


def ensure_may_read_post_log(actor: Actor | None, author_id: int | None) -> Actor:
    """A post's outgoing-linkback log (which sites it pinged, what they answered): its
    own author's, or every post's for editors and admins, as drafts are."""
    actor = ensure(actor, Permission.READ_DRAFTS)
    if not (actor.sees_all_posts or (author_id is not None and author_id == actor.author_id)):
        raise Forbidden("Authors may only read their own posts' linkbacks.")
    return actor


def may_create_tags(actor: Actor | None) -> bool:
    """New tags are public at once (GET /v1/tags), so only those who manage the taxonomy
    create them, also by tagging a post; authors use the existing ones. No actor: the
    application's own writers (the demo content, imports)."""
    return actor is None or actor.can(Permission.WRITE_TAXONOMY)


def may_read_draft(actor: Actor | None, author_id: int | None) -> bool:
    if actor is None or not actor.can(Permission.READ_DRAFTS):
        return False
    return actor.sees_all_posts or author_id == actor.author_id
