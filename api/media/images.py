"""Uploaded images, checked and re-encoded with Pillow. No app, no storage: bytes in,
bytes out.

The type comes from the content (its signature, then Pillow's decoder for that one
format only), never from the file name. A file must end where its format says it ends:
bytes after a JPEG's end marker, a PNG's IEND chunk or a WebP's RIFF size are another
file riding along (a polyglot) and are refused, as is a file that stops short. The
pixel count is checked from the header before anything is decoded, so a decompression
bomb costs nothing. What is stored is re-encoded from the pixels (turned upright by its
EXIF orientation first): no EXIF, XMP, comments or text chunks survive, only the colour
profile.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError


@dataclass(frozen=True)
class ImageFormat:
    pillow: str  # Pillow's name of the format
    name: str  # ours: jpeg | png | webp
    mime: str
    extension: str


JPEG = ImageFormat("JPEG", "jpeg", "image/jpeg", "jpg")
PNG = ImageFormat("PNG", "png", "image/png", "png")
WEBP = ImageFormat("WEBP", "webp", "image/webp", "webp")
FORMATS = (JPEG, PNG, WEBP)
# Declared types that say nothing about the content (curl's and browsers' fallbacks).
UNSPECIFIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


class ImageRefused(Exception):
    """Not an image we store; `status` is the HTTP status it maps to."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class PreparedImage:
    format: ImageFormat
    width: int
    height: int
    full: bytes  # the whole image, re-encoded without metadata
    sizes: dict[int, bytes] = field(default_factory=dict)  # width -> smaller copy


def prepare_image(
    data: bytes, *, declared_type: str | None, max_pixels: int, widths: tuple[int, ...]
) -> PreparedImage:
    """Check `data` and make the files to store: the full image and one copy per width
    in `widths` narrower than it (never enlarged). Raises ImageRefused."""
    kind = sniff(data)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in UNSPECIFIC_TYPES and declared != kind.mime:
        raise ImageRefused(
            415, f"The file is declared as {declared} but its content is {kind.mime}."
        )
    _check_ends(kind, data)
    with warnings.catch_warnings():
        # Pillow's own bomb check warns below its hard limit; ours is stricter anyway.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=[kind.pillow])
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRefused(
                    413, f"The image has {width}x{height} pixels; at most {max_pixels} are taken."
                )
            image.load()
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(413, f"The image has more than {max_pixels} pixels.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused(422, f"The {kind.name} file is truncated or corrupt.") from None
    return _encoded(kind, image, widths)


def sniff(data: bytes) -> ImageFormat:
    """The format by the file's signature: JPEG, PNG or WebP, else a 415."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    raise ImageRefused(415, "Only JPEG, PNG and WebP images are taken (SVG and others are not).")


# --- where a file ends -----------------------------------------------------------------


def _check_ends(kind: ImageFormat, data: bytes) -> None:
    end = {JPEG: _jpeg_end, PNG: _png_end, WEBP: _webp_end}[kind](data)
    if end is None or end > len(data):
        raise ImageRefused(422, f"The {kind.name} file is truncated or corrupt.")
    if data[end:].strip(b"\x00"):  # NUL padding is harmless; anything else is not
        raise ImageRefused(
            422,
            f"{len(data) - end} bytes follow the end of the {kind.name} image: "
            "another file rides along (a polyglot?). Save the image again without it.",
        )


def _png_end(data: bytes) -> int | None:
    at = 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunk_end = at + 12 + length
        if data[at + 4 : at + 8] == b"IEND":
            return chunk_end
        at = chunk_end
    return None


def _webp_end(data: bytes) -> int | None:
    if len(data) < 12:
        return None
    return 8 + int.from_bytes(data[4:8], "little")


def _jpeg_end(data: bytes) -> int | None:
    """Just past the end-of-image marker, walking the segments (an EXIF thumbnail's own
    markers sit inside a segment and are skipped with it)."""
    at, size = 2, len(data)
    while at + 1 < size:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        if at + 4 > size:
            return None
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            at = _scan_end(data, at)
            if at is None:
                return None
    return None


def _scan_end(data: bytes, at: int) -> int | None:
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
            at += 2
        elif following == 0xFF:
            at += 1
        else:
            return at


# --- what is stored ---------------------------------------------------------------------


def _encoded(kind: ImageFormat, image: Image.Image, widths: tuple[int, ...]) -> PreparedImage:
    icc = image.info.get("icc_profile")
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # an animation keeps its first frame
    upright = ImageOps.exif_transpose(image)
    upright.info = {}  # nothing of the upload's metadata is written back
    if kind is JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif kind is not JPEG and upright.mode not in ("RGB", "RGBA", "L"):
        upright = upright.convert("RGBA")  # palettes and the rest resize smoothly as RGBA
    width, height = upright.size
    prepared = PreparedImage(kind, width, height, _encode(kind, upright, icc))
    for wanted in sorted(set(widths)):
        if wanted < width:
            smaller = upright.resize(
                (wanted, max(1, round(height * wanted / width))), Image.Resampling.LANCZOS
            )
            prepared.sizes[wanted] = _encode(kind, smaller, icc)
    return prepared


def _encode(kind: ImageFormat, image: Image.Image, icc: bytes | None) -> bytes:
    out = BytesIO()
    options: dict = {"icc_profile": icc} if icc else {}
    if kind is JPEG:
        options.update(quality=85, optimize=True, progressive=True)
    elif kind is WEBP:
        options.update(quality=85, method=4)
    else:
        options.update(optimize=True)
    image.save(out, kind.pillow, **options)
    return out.getvalue()
