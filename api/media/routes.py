"""Media over HTTP: uploads (multipart), the staff listing, deletion; and, for local
storage, the stored files themselves at their immutable URLs."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint as FlaskBlueprint
from flask import abort, current_app, request, send_file, url_for
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.errors import InvalidInput
from api.infra.pagination import CursorCodec
from api.media import services, uploads
from api.media.schemas import MediaListArgs, MediaPage, MediaSchema, MediaUploadSchema
from api.media.storage import IMMUTABLE, LocalStorage
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body

blp = Blueprint("media", __name__, url_prefix="/v1", description="Media (images)")
files = FlaskBlueprint("media_files", __name__)
# Room for the multipart framing around the largest file taken.
MULTIPART_OVERHEAD = 64 * 1024


@blp.before_request
def allow_image_sized_bodies():
    if request.endpoint == "media.Media" and request.method == "POST":
        limit = current_app.config["MARGINALIA"].media_max_bytes + MULTIPART_OVERHEAD
        request.max_content_length = limit
        if (request.content_length or 0) > limit:
            abort(413)  # before any of it is read (a chunked body is cut at the limit)


def multipart_only(view):
    """415 for an upload that is not multipart/form-data (after the token is checked);
    422 for parts other than `file`, as for unknown fields anywhere."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.mimetype != "multipart/form-data":
            raise uploads.UploadRefused(
                415, "Send the image as multipart/form-data, in a part named `file`."
            )
        unknown = sorted({*request.form, *request.files} - {"file"})
        if unknown:
            raise InvalidInput(errors={name: ["Unknown field."] for name in unknown[:10]})
        return view(*args, **kwargs)

    return wrapper


def represent(item) -> dict:
    stored = services.files_of(item)
    return MediaSchema().dump(
        {
            "id": item.id,
            "url": stored[-1].url,
            "media_type": services.media_type(item),
            "width": item.width,
            "height": item.height,
            "bytes": item.bytes,
            "sizes": [{"width": f.width, "height": f.height, "url": f.url} for f in stored],
            "srcset": ", ".join(f"{f.url} {f.width}w" for f in stored),
            "created_at": item.created_at,
        }
    )


@blp.route("/media")
class Media(MethodView):
    @blp.doc(operationId="listMedia")
    @staff(blp)
    @requires(Permission.UPLOAD_MEDIA)
    @blp.arguments(MediaListArgs, location="query")
    @blp.response(200, MediaPage)
    @problems(blp, 400, 401, 403, 422)
    def get(self, args):
        """List uploaded images, newest first

        Staff only: each image with its URL, size, type and the smaller copies for srcset.
        """
        page = services.list_media(
            current_actor(),
            limit=args["limit"],
            cursor=args["cursor"],
            codec=CursorCodec(current_app.config["SECRET_KEY"], "media"),
        )
        return page_body(page, lambda items: [represent(item) for item in items])

    @blp.doc(operationId="uploadMedia")
    @staff(blp)
    @requires(Permission.UPLOAD_MEDIA)
    @multipart_only
    @blp.arguments(MediaUploadSchema, location="files")
    @blp.response(201, MediaSchema)
    @problems(
        blp,
        400,
        401,
        403,
        413,
        415,
        422,
        descriptions={
            413: "The file, or its pixel count, is larger than this server takes",
            415: "Not a JPEG, PNG or WebP image, or declared as another type",
            422: "Truncated, corrupt, or with another file riding along (polyglot)",
        },
    )
    def post(self, data):
        """Upload an image: checked, stripped of its metadata, stored with smaller copies

        A multipart form with one part named `file`: JPEG, PNG or WebP, decoded to check
        what it really is (the name and declared type are not trusted), re-encoded without
        EXIF, and stored with copies at the configured widths (never upscaled).
        """
        upload = data["file"]
        item = uploads.upload_image(
            current_actor(), upload.read(), upload.filename, upload.mimetype
        )
        return created(represent(item), url_for("media.MediaItemView", media_id=item.id))


@blp.route("/media/<int:media_id>")
class MediaItemView(MethodView):
    @blp.doc(operationId="getMedia")
    @staff(blp)
    @requires(Permission.UPLOAD_MEDIA)
    @blp.response(200, MediaSchema)
    @problems(blp, 401, 403, 404)
    def get(self, media_id):
        """Read one uploaded image

        Its URL and the URLs of its smaller copies, served with long immutable caching.
        """
        return json_response(represent(services.get_media(current_actor(), media_id)))

    @blp.doc(operationId="deleteMedia")
    @staff(blp)
    @requires(Permission.DELETE_MEDIA)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 409, descriptions={409: "A post or page shows this image"})
    def delete(self, media_id):
        """Delete an image and its files (refused while a post or page shows it)

        409 while a post's or page's feature_image, og_image or twitter_image names it.
        """
        uploads.delete_media(current_actor(), media_id)


@files.route("/media/<path:key>")
def stored_file(key: str):
    """A stored file of the local storage; its key never names other content, so it is
    cached for a year. (S3 serves its files itself, at its own URLs.)"""
    storage = services.storage()
    if not isinstance(storage, LocalStorage):
        abort(404)
    try:
        path = storage.path(key)
    except ValueError:
        abort(404)
    if not path.is_file() or path.name.startswith("."):
        abort(404)
    response = send_file(path, conditional=True, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
