"""XML parsing for the export readers: defusedxml's iterparse with DTDs, entities and
external references refused, the bytes checked as UTF-8, and every failure turned into
an `ImportFileError` with a one-line message.

WordPress and Disqus exports are uploaded by whoever runs the import, but they are often
files that came from elsewhere (a hosting company, a plugin, a colleague), so they are
read as hostile: no DOCTYPE at all (that is where XML bombs and external entities come
from; neither platform writes one), and memory stays flat because the readers clear each
element once it has become a record.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import errors as expat_errors

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from api.transfer.errors import ImportFileError
from api.transfer.source import CountingReader, ProgressCallback

EVENTS = ("start-ns", "start", "end")

# Expat's errors that, at the end of the input, mean the file stops mid-document.
_TRUNCATION_CODES = {
    expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS],
    expat_errors.codes[expat_errors.XML_ERROR_UNCLOSED_TOKEN],
    expat_errors.codes[expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION],
    expat_errors.codes[expat_errors.XML_ERROR_PARTIAL_CHAR],
}
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_OTHER_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


class Utf8Check:
    """Checks the bytes as UTF-8 while they stream past, unless the XML declaration names
    another encoding. Expat would refuse bad bytes too, but only as an "invalid token" at
    a line and column; this says what is wrong and at which byte."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._enabled: bool | None = None  # decided on the first chunk

    def __call__(self, chunk: bytes, offset: int) -> None:
        if self._enabled is None:
            self._enabled = _declares_utf8(chunk)
        if not self._enabled:
            return
        pending = len(self._decoder.getstate()[0])
        try:
            self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            if not chunk:
                raise ImportFileError(
                    "the file ends in the middle of a character (truncated?)"
                ) from None
            raise ImportFileError(
                f"invalid UTF-8 at byte {offset - pending + exc.start} "
                "(the file says it is UTF-8; was it saved in another encoding?)"
            ) from None


def _declares_utf8(head: bytes) -> bool:
    if head.startswith(codecs.BOM_UTF8):
        return True
    if head.startswith(_OTHER_BOMS):
        return False
    declared = _DECLARED_ENCODING.match(head)
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


# WXR nests six deep (rss/channel/item/wp:comment/wp:commentmeta/wp:meta_key), Disqus
# four; post bodies are text, not elements. Deeper than this is not an export.
MAX_DEPTH = 32
# Elements alive at once between two clear() calls of a reader (one record's worth). A
# real item is fields, postmeta and one comment at a time (the reader folds comments
# into records as they end): hundreds. Each element costs ~100 bytes of memory for a
# few bytes of file, so a file of millions of empty siblings would otherwise swell.
MAX_ELEMENTS_PER_RECORD = 100_000


class XmlEvents:
    """(event, element or (prefix, uri)) pairs from a stream, every failure an
    ImportFileError, with the element's depth (the root is 1) at hand for the reader."""

    def __init__(self, stream: CountingReader):
        self._stream = stream
        self._open = 0
        self._live = 0
        self.depth = 0

    def released(self, count: int | None = None) -> None:
        """The reader dropped `count` elements from the tree (None: all it had)."""
        self._live = 0 if count is None else max(0, self._live - count)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        try:
            for event, payload in iterparse(
                self._stream,
                events=EVENTS,
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
            ):
                if event == "start":
                    self._open += 1
                    self._live += 1
                    self._check_bounds()
                    self.depth = self._open
                elif event == "end":
                    self.depth = self._open
                    self._open -= 1
                yield event, payload
        except DTDForbidden as exc:
            where = f" ({exc.sysid})" if exc.sysid else ""
            raise ImportFileError(
                f"the file has a DOCTYPE declaration{where}; refused, because exports have "
                "none and a DTD is how XML bombs and external entities get in"
            ) from None
        except EntitiesForbidden as exc:
            raise ImportFileError(
                f"the file declares an XML entity ({exc.name}); refused (XML bomb protection)"
            ) from None
        except ExternalReferenceForbidden as exc:
            raise ImportFileError(
                f"the file refers to an external resource ({exc.sysid}); refused"
            ) from None
        except ParseError as exc:
            raise _parse_error(exc, self._stream) from None

    def _check_bounds(self) -> None:
        if self._open > MAX_DEPTH:
            raise ImportFileError(
                f"elements nested more than {MAX_DEPTH} deep; exports are not shaped like that"
            )
        if self._live > MAX_ELEMENTS_PER_RECORD:
            raise ImportFileError(
                f"more than {MAX_ELEMENTS_PER_RECORD:,} elements in one record; "
                "exports are not shaped like that"
            )


def _parse_error(exc: ParseError, stream: CountingReader) -> ImportFileError:
    if stream.at_eof and stream.bytes_read == 0:
        return ImportFileError("the file is empty")
    line, column = exc.position
    reason = expat_errors.messages.get(exc.code, str(exc))
    if stream.at_eof and exc.code in _TRUNCATION_CODES:
        return ImportFileError(
            f"the file ends in the middle of the document (truncated?): {reason} "
            f"at line {line}, column {column}"
        )
    if exc.code == expat_errors.codes[expat_errors.XML_ERROR_UNBOUND_PREFIX]:
        reason += " (a namespace prefix such as wp: is used but never declared)"
    return ImportFileError(f"not well-formed XML: {reason} at line {line}, column {column}")


def counting_xml_reader(raw, progress: ProgressCallback | None) -> CountingReader:
    """The stream an XML reader parses: counted for progress, checked as UTF-8."""
    return CountingReader(raw, progress=progress, inspect=Utf8Check())


def text_of(element) -> str:
    """An element's text, trimmed (WordPress's own importer trims every value)."""
    if element is None or element.text is None:
        return ""
    return element.text.strip()
