"""Media fixtures: both storage backends (a folder, and S3 as moto's server on
127.0.0.1), and real images made by Pillow's encoders."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from io import BytesIO

import pytest
from PIL import Image

from api.media.storage import LocalStorage, S3Storage

MEDIA_URL = "https://api.blog.example/media"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto in server mode: a real S3 HTTP API on a loopback port, for this session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request, app, tmp_path, monkeypatch):
    """The app's media storage for this test: a folder, or a fresh bucket on moto."""
    if request.param == "local":
        chosen = LocalStorage(tmp_path / "media", MEDIA_URL)
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            monkeypatch.setenv(name, value)
        bucket = f"media-{uuid.uuid4().hex[:12]}"
        chosen = S3Storage(
            bucket, base_url=f"{endpoint}/{bucket}", prefix="uploads", endpoint_url=endpoint
        )
        chosen.client.create_bucket(Bucket=bucket)
    monkeypatch.setitem(app.extensions, "marginalia.media_storage", chosen)
    return chosen


def image_bytes(fmt: str, width: int, height: int, **save) -> bytes:
    """A real image of that format and size: a gradient, so resizing has work to do."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    out = BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()
