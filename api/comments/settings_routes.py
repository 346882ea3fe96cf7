"""The discussion settings over HTTP (admins)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.comments import discussion
from api.comments.schemas import DiscussionSettingsPatchSchema, DiscussionSettingsSchema
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import json_response

blp = Blueprint("settings", __name__, url_prefix="/v1", description="Site settings")

_schema = DiscussionSettingsSchema()


def _view(settings: discussion.DiscussionSettings) -> dict:
    return _schema.dump(settings.as_dict())


@blp.route("/settings/discussion")
class DiscussionSettings(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_SETTINGS)
    @blp.response(200, DiscussionSettingsSchema)
    @problems(blp, 401, 403)
    @blp.doc(operationId="getDiscussionSettings")
    def get(self):
        """Read the discussion settings (defaults from the configuration, then changes)

        Admin. The `[discussion]` defaults of the configuration with the changes made here.
        """
        return json_response(_view(discussion.current(current_app.config["MARGINALIA"])))

    @staff(blp)
    @requires(Permission.MANAGE_SETTINGS)
    @blp.arguments(DiscussionSettingsPatchSchema)
    @blp.response(200, DiscussionSettingsSchema)
    @problems(blp, 400, 401, 403, 412, 413, 422)
    @blp.doc(operationId="updateDiscussionSettings")
    def patch(self, changes):
        """Change some discussion settings; send If-Match to refuse lost updates

        Admin. Only the settings sent change, at once for every instance; `If-Match` refuses lost
        updates.
        """
        with unit_of_work():
            updated = discussion.update(
                current_app.config["MARGINALIA"], changes, if_match_guard(_view)
            )
        return json_response(_view(updated))
