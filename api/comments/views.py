"""The public comment (CommentSchema) for the thread, its hot read, and the commenter's
own view (OwnCommentSchema), the answer to every submission: each schema's dump compiled
(api/web/dumpers.py), for a row of reading.PUBLIC_COLUMNS or an entity."""

from __future__ import annotations

from api.comments.schemas import CommentSchema, OwnCommentSchema
from api.web.dumpers import compile_dumper

public_comment = compile_dumper(CommentSchema())
own_comment_view = compile_dumper(OwnCommentSchema())
