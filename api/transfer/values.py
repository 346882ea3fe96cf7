"""Turning an export's text values into Python ones: numbers, flags and dates."""

from __future__ import annotations

from datetime import UTC, datetime

from api.transfer.errors import ImportFileError

_WORDPRESS_DATE = "%Y-%m-%d %H:%M:%S"


def optional_int(text: str, what: str) -> int | None:
    """A number, or None for an empty value. Anything else is a broken export: ids are
    what threads and parents hang on, and a guessed id would attach things wrongly."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ImportFileError(f"{what} is {text[:40]!r}, not a number") from None


def flag(text: str) -> bool:
    """WordPress writes 0/1, Disqus true/false."""
    return text.strip().lower() in ("1", "true")


def wordpress_datetime(text: str, *, utc: bool) -> datetime | None:
    """WordPress's "2023-01-16 07:08:31"; None for empty or for the zero date WordPress
    stores in post_date_gmt until a draft is first published. Local times (post_date)
    come back naive: the export does not say the site's time zone."""
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        value = datetime.strptime(text, _WORDPRESS_DATE)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if utc else value


def iso_datetime(value: object) -> datetime | None:
    """An ISO 8601 time (Disqus, Ghost 1.0+) or epoch milliseconds (Ghost before 1.0),
    as an aware UTC datetime; a time without an offset is taken as UTC, as both write."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
