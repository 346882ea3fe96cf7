"""The event feed: what changed, in commit order, for consumers catching up."""

from urllib.parse import urlencode

from flask import request
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.events import feed
from api.events.schemas import EventFeedArgs, EventPage, feed_item
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import json_response

blp = Blueprint("events", __name__, url_prefix="/v1", description="Event feed")


@blp.route("/events")
class Events(MethodView):
    @staff(blp)
    @requires(Permission.READ_EVENTS)
    @blp.arguments(EventFeedArgs, location="query")
    @blp.response(200, EventPage)
    @problems(blp, 401, 403, 422)
    @blp.doc(operationId="listEvents")
    def get(self, args):
        """List events after an id, oldest first (catch up or replay)

        Admin or event-reader. The events webhooks deliver, in commit order: pass the last `id` you
        processed as `after` to catch up after downtime, and `types` to narrow them.
        """
        patterns = [p.strip() for p in args.get("types", "").split(",") if p.strip()]
        events = feed.feed_rows(args["after"], args["limit"], patterns)
        body = {"items": [feed_item(event) for event in events], "next": None}
        headers = {}
        if len(events) == args["limit"]:
            query = [(k, v) for k, v in request.args.items(multi=True) if k != "after"]
            next_url = f"{request.path}?{urlencode([*query, ('after', events[-1].id)])}"
            body["next"] = next_url
            headers["Link"] = f'<{next_url}>; rel="next"'
        return json_response(body, 200, headers)
