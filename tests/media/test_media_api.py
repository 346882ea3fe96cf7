"""Media over HTTP, on both storage backends: real JPEG, PNG and WebP uploads make their
sized copies; hostile or wrong files are 4xx problems with nothing stored."""

from __future__ import annotations

import struct
import zipfile
import zlib
from io import BytesIO

import pytest
from PIL import Image

from tests.media.conftest import image_bytes


def upload(client, headers, data: bytes, name="photo.jpg", mimetype=None):
    """POST /v1/media as a browser's form would: one part named `file`."""
    boundary = "marginalia-test-boundary"
    guessed = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
    part_type = mimetype or guessed.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {part_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/v1/media",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_bytes(client, storage, url: str) -> tuple[bytes, dict]:
    """A stored file as a browser would fetch it: from the app (local) or from S3."""
    if url.startswith("https://api.blog.example/"):
        response = client.get(url.removeprefix("https://api.blog.example"))
        assert response.status_code == 200
        body = response.get_data()
        response.close()  # a file response holds its file open until closed
        return body, dict(response.headers)
    # S3: the object behind the public URL (making the bucket public is the operator's
    # bucket policy or CDN; here the object is read with the storage's credentials).
    key = url.removeprefix(storage.base_url + "/")
    found = storage.client.get_object(Bucket=storage.bucket, Key=key)
    headers = {"Content-Type": found["ContentType"], "Cache-Control": found["CacheControl"]}
    return found["Body"].read(), headers


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show it upright
    exif.get_ifd(0x8825)[2] = (52.0, 31.0, 12.0)  # GPSLatitude
    return exif.tobytes()


@pytest.mark.parametrize(
    ("fmt", "size", "expected_widths"),
    [
        ("JPEG", (2400, 1600), [600, 1000, 1600, 2000, 2400]),
        ("PNG", (1200, 300), [600, 1000, 1200]),
        ("WEBP", (800, 800), [600, 800]),
    ],
)
def test_an_image_is_stored_with_its_sizes_never_enlarged(
    client, admin, storage, events, fmt, size, expected_widths
):
    data = image_bytes(fmt, *size)
    response = upload(client, admin, data, name=f"../../Holiday Pic.{fmt.lower()}")
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    assert item["media_type"] == mime
    assert (item["width"], item["height"]) == size
    assert [s["width"] for s in item["sizes"]] == expected_widths
    assert item["url"] == item["sizes"][-1]["url"]
    assert item["srcset"] == ", ".join(f"{s['url']} {s['width']}w" for s in item["sizes"])
    assert response.headers["Location"].endswith(f"/v1/media/{item['id']}")
    for entry in item["sizes"]:
        assert "/holiday-pic" in entry["url"] and ".." not in entry["url"]
        body, headers = stored_bytes(client, storage, entry["url"])
        assert headers["Content-Type"] == mime
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        stored = Image.open(BytesIO(body))
        assert stored.format == fmt
        assert stored.size == (entry["width"], entry["height"])
    assert len(storage.keys()) == len(expected_widths)
    assert client.get(f"/v1/media/{item['id']}", headers=admin).get_json() == item
    assert client.get("/v1/media", headers=admin).get_json()["items"] == [item]
    assert [kind for kind, _ in events("media.")] == ["media.created"]


def test_exif_is_stripped_and_the_orientation_applied(client, admin, storage):
    data = image_bytes("JPEG", 1200, 800, exif=_exif_with_gps())
    item = upload(client, admin, data).get_json()
    assert (item["width"], item["height"]) == (800, 1200)  # turned upright
    for entry in item["sizes"]:
        body, _ = stored_bytes(client, storage, entry["url"])
        stored = Image.open(BytesIO(body))
        assert not stored.getexif()
        assert b"Camera maker" not in body and b"Exif" not in body


def _polyglot_jpeg() -> bytes:
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.html", "<script>alert(1)</script>")
    return image_bytes("JPEG", 700, 500) + archive.getvalue()


def _bomb_png() -> bytes:
    """A tiny PNG whose header claims 60000 x 60000 pixels."""
    data = bytearray(image_bytes("PNG", 8, 8))
    ihdr = 8  # after the signature: length (4), "IHDR" (4), data (13), crc (4)
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", 60000, 60000)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21]))
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
REFUSED = {
    "polyglot jpeg+zip": (_polyglot_jpeg, "a.jpg", None, 422),
    "png with html after IEND": (
        lambda: image_bytes("PNG", 640, 480) + b"<html><script>alert(1)</script></html>",
        "a.png",
        None,
        422,
    ),
    "truncated jpeg": (lambda: image_bytes("JPEG", 900, 600)[:-900], "a.jpg", None, 422),
    "truncated png": (lambda: image_bytes("PNG", 640, 480)[:-40], "a.png", None, 422),
    "truncated webp": (lambda: image_bytes("WEBP", 640, 480)[:-64], "a.webp", None, 422),
    "svg": (lambda: SVG, "logo.svg", "image/svg+xml", 415),
    "svg named as a png": (lambda: SVG, "logo.png", "image/png", 415),
    "decompression bomb": (_bomb_png, "bomb.png", None, 413),
    "png declared as jpeg": (lambda: image_bytes("PNG", 640, 480), "a.jpg", "image/jpeg", 415),
    "jpeg declared as html": (lambda: image_bytes("JPEG", 640, 480), "a.html", "text/html", 415),
    "not an image": (lambda: b"GIF89a" + bytes(100), "a.gif", None, 415),
    "empty": (lambda: b"", "a.jpg", None, 415),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_hostile_or_wrong_file_is_refused_and_nothing_stored(
    client, admin, storage, events, case
):
    make, name, mimetype, status = REFUSED[case]
    response = upload(client, admin, make(), name=name, mimetype=mimetype)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    assert storage.keys() == []
    assert client.get("/v1/media", headers=admin).get_json()["items"] == []
    assert events("media.") == []


def test_an_upload_that_is_not_multipart_is_a_415(client, admin, storage):
    response = client.post("/v1/media", json={"file": "x"}, headers=admin)
    assert response.status_code == 415 and response.mimetype == "application/problem+json"
    boundary = "b"
    empty = f"--{boundary}--\r\n".encode()
    missing = client.post(
        "/v1/media",
        data=empty,
        headers=admin,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    other = client.post(
        "/v1/media", data={"other": "x"}, headers=admin, content_type="multipart/form-data"
    )
    assert other.status_code == 422 and "other" in other.get_json()["errors"]
    assert storage.keys() == []


def test_uploads_larger_than_the_limit_are_413(app, client, admin, storage, monkeypatch):
    import dataclasses

    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(
        app.config, "MARGINALIA", dataclasses.replace(settings, media_max_bytes=50_000)
    )
    big = image_bytes("PNG", 1000, 1000, compress_level=0)
    assert len(big) > 50_000 + 64 * 1024
    response = upload(client, admin, big, name="big.png")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    # Above the JSON body limit (512 KiB) but within the media limit: taken.
    monkeypatch.setitem(app.config, "MARGINALIA", settings)
    assert len(big) > settings.max_body_bytes
    assert upload(client, admin, big, name="big.png").status_code == 201


def test_an_image_in_use_cannot_be_deleted(client, admin, storage, publish, events):
    item = upload(client, admin, image_bytes("JPEG", 1200, 800)).get_json()
    small = item["sizes"][0]["url"]
    post = publish("Illustrated", feature_image=item["url"], og_image=small)
    refused = client.delete(f"/v1/media/{item['id']}", headers=admin)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    client.patch(f"/v1/posts/{post['slug']}", json={"feature_image": None}, headers=admin)
    assert client.delete(f"/v1/media/{item['id']}", headers=admin).status_code == 409  # og
    client.patch(f"/v1/posts/{post['slug']}", json={"og_image": None}, headers=admin)
    assert len(storage.keys()) == 3
    assert client.delete(f"/v1/media/{item['id']}", headers=admin).status_code == 204
    assert storage.keys() == []
    assert client.get(f"/v1/media/{item['id']}", headers=admin).status_code == 404
    assert [kind for kind, _ in events("media.")] == ["media.created", "media.deleted"]


def test_a_feature_image_may_be_any_url(client, publish):
    post = publish("Elsewhere", feature_image="https://cdn.example.org/a/b.png?w=1")
    assert post["feature_image"] == "https://cdn.example.org/a/b.png?w=1"


def test_media_list_pages_newest_first(client, admin, storage):
    ids = [
        upload(client, admin, image_bytes("PNG", 20, 20), "a.png").get_json()["id"]
        for _ in range(3)
    ]
    first = client.get("/v1/media?limit=2", headers=admin).get_json()
    rest = client.get(first["next"], headers=admin).get_json()
    assert [m["id"] for m in first["items"] + rest["items"]] == ids[::-1]


def test_who_may_upload_and_delete(client, admin, make_token, author, storage):
    from tests.conftest import bearer

    own = bearer(make_token("author", author=author["slug"]))
    moderator = bearer(make_token("moderator"))
    png = image_bytes("PNG", 20, 20)
    assert upload(client, {}, png, "a.png").status_code == 401
    assert upload(client, moderator, png, "a.png").status_code == 403
    item = upload(client, own, png, "a.png").get_json()
    assert client.delete(f"/v1/media/{item['id']}", headers=own).status_code == 403
    editor = bearer(make_token("editor"))
    assert client.delete(f"/v1/media/{item['id']}", headers=editor).status_code == 204


def test_stored_files_of_the_local_storage_stay_inside_its_folder(client, storage):
    for path in ("/media/../secret_key", "/media/%2e%2e/secret_key", "/media/nothing.jpg"):
        assert client.get(path).status_code == 404
