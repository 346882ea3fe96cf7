"""A Disqus export in the shape Disqus writes (disqus.com/api/schemas/1.0/disqus.xsd):
categories, then threads, then posts referring to both by dsq:id."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from api.transfer.disqus import (
    DisqusAuthor,
    DisqusCategory,
    DisqusPost,
    DisqusThread,
    read_disqus,
)
from api.transfer.errors import ImportFileError

EXPORT = b"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com"
        xmlns:dsq="http://disqus.com/disqus-internals"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd
                            http://disqus.com/api/schemas/1.0/disqus-internals.xsd">
  <category dsq:id="1001">
    <forum>oldblog</forum>
    <title>General</title>
    <isDefault>true</isDefault>
  </category>
  <thread dsq:id="2001">
    <id>post-42</id>
    <forum>oldblog</forum>
    <category dsq:id="1001" />
    <link>https://old.example/2019/05/hello-world/</link>
    <title>Hello world</title>
    <message />
    <createdAt>2019-05-01T10:00:00Z</createdAt>
    <author>
      <email>owner@old.example</email>
      <name>Owner</name>
      <isAnonymous>false</isAnonymous>
      <username>owner</username>
    </author>
    <ipAddress>198.51.100.1</ipAddress>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
  <post dsq:id="3001">
    <id />
    <message><![CDATA[<p>Nice post, <b>thanks</b>!</p>]]></message>
    <createdAt>2019-05-02T08:30:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author>
      <email>ann@example.org</email>
      <name>Ann</name>
      <isAnonymous>false</isAnonymous>
      <username>ann_disqus</username>
    </author>
    <ipAddress>203.0.113.9</ipAddress>
    <thread dsq:id="2001" />
  </post>
  <post dsq:id="3002">
    <id />
    <message><![CDATA[<p>Agreed.</p>]]></message>
    <createdAt>2019-05-02T09:00:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author>
      <name>Guest</name>
      <isAnonymous>true</isAnonymous>
    </author>
    <ipAddress>203.0.113.10</ipAddress>
    <thread dsq:id="2001" />
    <parent dsq:id="3001" />
  </post>
  <post dsq:id="3003">
    <id />
    <message><![CDATA[<p>Buy pills</p>]]></message>
    <createdAt>2019-05-03T00:00:00Z</createdAt>
    <isDeleted>true</isDeleted>
    <isSpam>true</isSpam>
    <author><name>Spammer</name><isAnonymous>true</isAnonymous></author>
    <ipAddress>192.0.2.66</ipAddress>
    <thread dsq:id="2001" />
  </post>
</disqus>
"""


def test_a_disqus_export_reads_as_categories_threads_and_posts():
    category, thread, first, reply, spam = read_disqus(io.BytesIO(EXPORT))
    assert category == DisqusCategory(
        dsq_id="1001", forum="oldblog", title="General", is_default=True
    )
    assert thread == DisqusThread(
        dsq_id="2001",
        identifier="post-42",
        forum="oldblog",
        category_id="1001",
        link="https://old.example/2019/05/hello-world/",
        title="Hello world",
        message="",
        created_at=datetime(2019, 5, 1, 10, 0, tzinfo=UTC),
        author=DisqusAuthor(
            name="Owner", email="owner@old.example", username="owner", is_anonymous=False
        ),
        ip_address="198.51.100.1",
        is_closed=False,
        is_deleted=False,
    )
    assert first == DisqusPost(
        dsq_id="3001",
        identifier="",
        thread_id="2001",
        parent_id=None,
        message="<p>Nice post, <b>thanks</b>!</p>",
        created_at=datetime(2019, 5, 2, 8, 30, tzinfo=UTC),
        is_deleted=False,
        is_spam=False,
        author=DisqusAuthor(
            name="Ann", email="ann@example.org", username="ann_disqus", is_anonymous=False
        ),
        ip_address="203.0.113.9",
    )
    assert reply.parent_id == "3001"
    assert reply.thread_id == "2001"
    assert reply.author == DisqusAuthor(name="Guest", email="", username="", is_anonymous=True)
    assert spam.is_spam and spam.is_deleted


def test_progress_reaches_the_end_of_the_file():
    seen: list[int] = []
    list(read_disqus(io.BytesIO(EXPORT), progress=seen.append))
    assert seen[-1] == len(EXPORT)


def test_a_post_without_its_dsq_id_is_a_broken_export():
    broken = EXPORT.replace(b'<post dsq:id="3002">', b"<post>")
    with pytest.raises(ImportFileError, match="a <post> has no dsq:id"):
        list(read_disqus(io.BytesIO(broken)))


def test_a_disqus_root_in_another_namespace_is_refused():
    other = EXPORT.replace(b'xmlns="http://disqus.com"', b'xmlns="http://example.com/disqus"')
    with pytest.raises(ImportFileError) as caught:
        list(read_disqus(io.BytesIO(other)))
    assert "not a Disqus export" in str(caught.value)
    assert "http://example.com/disqus" in str(caught.value)


def test_a_wordpress_export_is_not_a_disqus_export(wxr_path):
    with pytest.raises(ImportFileError, match="not a Disqus export: the document is <rss>"):
        list(read_disqus(wxr_path))


def test_unknown_elements_are_passed_over():
    extended = EXPORT.replace(b"</disqus>", b"<newThing dsq:id='9'><x/></newThing></disqus>")
    assert len(list(read_disqus(io.BytesIO(extended)))) == 5
