"""Who may do what, decided in one place."""

import pytest

from api.auth.policy import (
    Actor,
    Permission,
    Role,
    ensure,
    ensure_may_write_post,
    may_read_draft,
)
from api.errors import Forbidden, Unauthorized


def actor(role: Role, author_id=None) -> Actor:
    return Actor(token_id=1, name=role, role=role, author_id=author_id)


def test_no_actor_is_unauthorized_and_a_missing_permission_is_forbidden():
    with pytest.raises(Unauthorized):
        ensure(None, Permission.WRITE_POSTS)
    with pytest.raises(Forbidden):
        ensure(actor(Role.MODERATOR), Permission.WRITE_POSTS)
    assert ensure(actor(Role.ADMIN), Permission.MANAGE_TOKENS).role is Role.ADMIN


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.ADMIN, Permission.MODERATE, True),
        (Role.EDITOR, Permission.WRITE_TAXONOMY, True),
        (Role.EDITOR, Permission.MODERATE, False),
        (Role.AUTHOR, Permission.WRITE_TAXONOMY, False),
        (Role.MODERATOR, Permission.MODERATE, True),
        (Role.MODERATOR, Permission.READ_DRAFTS, False),
        (Role.EDITOR, Permission.READ_EVENTS, False),
    ],
)
def test_role_permissions(role, permission, allowed):
    assert actor(role).can(permission) is allowed


def test_authors_write_and_read_only_their_own_posts():
    mine = actor(Role.AUTHOR, author_id=7)
    assert ensure_may_write_post(mine, 7) is mine
    with pytest.raises(Forbidden):
        ensure_may_write_post(mine, 8)
    assert may_read_draft(mine, 7) and not may_read_draft(mine, 8)
    assert may_read_draft(actor(Role.EDITOR), 8)
    assert not may_read_draft(None, 7)
