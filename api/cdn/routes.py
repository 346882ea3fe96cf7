"""The CDN purge log over HTTP."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.cdn import purging
from api.cdn.schemas import PurgeListArgs, PurgePage, PurgeSchema
from api.infra.pagination import CursorCodec
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import page_body

DESCRIPTION = """Purges of the CDN or Varnish in front (docs/cache.md).

Every change anonymous readers can see records its cache keys with its event; the worker
purges those keys from every configured target (`MARGINALIA_VARNISH_URL`, Fastly,
Cloudflare), at least once: a network error, 429 or 5xx is retried after about 2 s,
10 s, 1 min, 5 min, 30 min and 1 h, then the purge is `failed`. The log is kept 30 days.
"""

blp = Blueprint("cdn", __name__, url_prefix="/v1", description=DESCRIPTION)
_purge = PurgeSchema()


@blp.route("/cdn/purges")
class CdnPurges(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_SETTINGS)
    @blp.arguments(PurgeListArgs, location="query")
    @blp.response(200, PurgePage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listCdnPurges")
    def get(self, args):
        """List CDN purges with their outcome, newest first

        Admin. One purge per change that anonymous readers could see, with its keys, its
        attempts and what the targets answered; `status=failed` lists what never got through.
        """
        page = purging.list_purges(
            args.get("status"),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=CursorCodec(current_app.config["SECRET_KEY"], "cdn-purges"),
        )
        return page_body(page, lambda items: _purge.dump(items, many=True))
