"""A streaming reader of a Disqus export (Admin → Moderation → Export: the XML file
Disqus mails as a .gz; decompress it first).

Its shape (disqus.com/api/schemas/1.0/disqus.xsd): a root `<disqus>` in the namespace
`http://disqus.com`, whose children are `<category>`s, then `<thread>`s (one per page
that had the embed: link, title, the page's own identifier), then `<post>`s (the
comments) in tree order. Disqus's own ids are `dsq:id` attributes in the namespace
`http://disqus.com/disqus-internals`; a post names its thread and the post it replies
to by those ids (`<thread dsq:id="…"/>`, `<parent dsq:id="…"/>`).

`read_disqus(path_or_file)` yields `DisqusCategory`, `DisqusThread` and `DisqusPost`
records in file order, clearing each element as it goes. Matching threads to our posts
(by link or old URL) is the importer's job; this only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from api.transfer.errors import ImportFileError
from api.transfer.source import ProgressCallback, Source, open_source
from api.transfer.values import flag, iso_datetime
from api.transfer.xml_events import XmlEvents, counting_xml_reader, text_of

DISQUS_NAMESPACE = "http://disqus.com"
DSQ_NAMESPACE = "http://disqus.com/disqus-internals"
_ROOT = f"{{{DISQUS_NAMESPACE}}}disqus"
_DSQ_ID = f"{{{DSQ_NAMESPACE}}}id"


@dataclass(frozen=True, slots=True)
class DisqusAuthor:
    name: str
    email: str
    username: str
    is_anonymous: bool


@dataclass(frozen=True, slots=True)
class DisqusCategory:
    dsq_id: str
    forum: str
    title: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class DisqusThread:
    dsq_id: str
    identifier: str  # <id>: the disqus_identifier the page's embed set, often empty
    forum: str
    category_id: str | None
    link: str  # the page's URL: how the importer finds our post
    title: str
    message: str
    created_at: datetime | None
    author: DisqusAuthor
    ip_address: str
    is_closed: bool
    is_deleted: bool


@dataclass(frozen=True, slots=True)
class DisqusPost:
    dsq_id: str
    identifier: str  # <id>: usually empty in exports
    thread_id: str | None  # the thread's dsq:id
    parent_id: str | None  # the dsq:id of the post this replies to; None at the top
    message: str  # HTML, as Disqus stored it; for the sanitiser
    created_at: datetime | None
    is_deleted: bool
    is_spam: bool
    author: DisqusAuthor
    ip_address: str


DisqusRecord = DisqusCategory | DisqusThread | DisqusPost


def read_disqus(
    source: Source, *, progress: ProgressCallback | None = None
) -> Iterator[DisqusRecord]:
    """Records of a Disqus export, streamed; `progress` gets the bytes read so far."""
    with open_source(source) as raw:
        yield from _records(XmlEvents(counting_xml_reader(raw, progress)))


def _records(events: XmlEvents) -> Iterator[DisqusRecord]:
    root = None
    for event, element in events:
        if event == "start" and events.depth == 1:
            if element.tag != _ROOT:
                raise ImportFileError(
                    f"not a Disqus export: the document is <{_shown(element.tag)}>, "
                    f"not <disqus> in the {DISQUS_NAMESPACE} namespace"
                )
            root = element
        elif event == "end" and events.depth == 2:
            reader = _READERS.get(element.tag)
            if reader is not None:
                yield reader(element)
            root.clear()  # one record at a time in memory
            events.released()
    if root is None:
        raise ImportFileError("not a Disqus export: no <disqus> document")


def _shown(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{local[:60]} xmlns={uri[:80]!r}"
    return tag[:60]


def _q(name: str) -> str:
    return f"{{{DISQUS_NAMESPACE}}}{name}"


def _child_text(element, name: str) -> str:
    return text_of(element.find(_q(name)))


def _reference(element, name: str) -> str | None:
    """The dsq:id of a `<thread dsq:id=…/>` or `<parent dsq:id=…/>` child."""
    child = element.find(_q(name))
    if child is None:
        return None
    return child.get(_DSQ_ID) or None


def _dsq_id(element, what: str) -> str:
    value = element.get(_DSQ_ID)
    if not value:
        raise ImportFileError(f"a <{what}> has no dsq:id attribute")
    return value


def _author(element) -> DisqusAuthor:
    author = element.find(_q("author"))
    if author is None:
        return DisqusAuthor(name="", email="", username="", is_anonymous=True)
    return DisqusAuthor(
        name=_child_text(author, "name"),
        email=_child_text(author, "email"),
        username=_child_text(author, "username"),
        is_anonymous=flag(_child_text(author, "isAnonymous")),
    )


def _category(element) -> DisqusCategory:
    return DisqusCategory(
        dsq_id=_dsq_id(element, "category"),
        forum=_child_text(element, "forum"),
        title=_child_text(element, "title"),
        is_default=flag(_child_text(element, "isDefault")),
    )


def _thread(element) -> DisqusThread:
    return DisqusThread(
        dsq_id=_dsq_id(element, "thread"),
        identifier=_child_text(element, "id"),
        forum=_child_text(element, "forum"),
        category_id=_reference(element, "category"),
        link=_child_text(element, "link"),
        title=_child_text(element, "title"),
        message=(element.findtext(_q("message")) or ""),
        created_at=iso_datetime(_child_text(element, "createdAt")),
        author=_author(element),
        ip_address=_child_text(element, "ipAddress"),
        is_closed=flag(_child_text(element, "isClosed")),
        is_deleted=flag(_child_text(element, "isDeleted")),
    )


def _post(element) -> DisqusPost:
    return DisqusPost(
        dsq_id=_dsq_id(element, "post"),
        identifier=_child_text(element, "id"),
        thread_id=_reference(element, "thread"),
        parent_id=_reference(element, "parent"),
        message=(element.findtext(_q("message")) or ""),
        created_at=iso_datetime(_child_text(element, "createdAt")),
        is_deleted=flag(_child_text(element, "isDeleted")),
        is_spam=flag(_child_text(element, "isSpam")),
        author=_author(element),
        ip_address=_child_text(element, "ipAddress"),
    )


_READERS = {_q("category"): _category, _q("thread"): _thread, _q("post"): _post}
