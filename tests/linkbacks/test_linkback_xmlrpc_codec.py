"""The XML-RPC codec: defusedxml in, xmlrpc.client.dumps out (pure: no app)."""

from datetime import UTC, datetime, timedelta
from xmlrpc.client import Fault, dumps

import pytest

from api.linkbacks import xmlrpc
from api.linkbacks.retries import BACKOFF, MAX_ATTEMPTS, next_attempt_at

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&lol9;</string></value></param>
<param><value><string>https://blog.example/x/</string></value></param>
</params></methodCall>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&xxe;</string></value></param>
<param><value><string>https://blog.example/x/</string></value></param>
</params></methodCall>"""


def test_a_call_made_by_the_standard_library_reads_back():
    body = xmlrpc.call_body("pingback.ping", "https://a.example/", "https://b.example/")
    assert xmlrpc.parse_call(body) == (
        "pingback.ping",
        ["https://a.example/", "https://b.example/"],
    )


def test_every_value_type_decodes():
    values = (1, True, 2.5, "s", [1, "two"], {"k": [False]}, b"bytes", None)
    body = dumps(values, methodname="m", allow_none=True).encode()
    _, params = xmlrpc.parse_call(body)
    assert params == [1, True, 2.5, "s", [1, "two"], {"k": [False]}, b"bytes", None]
    untyped = b"<methodCall><methodName>m</methodName><params><param><value>plain</value>"
    assert xmlrpc.parse_call(untyped + b"</param></params></methodCall>")[1] == ["plain"]


def test_responses_and_faults_read_back():
    assert xmlrpc.parse_response(xmlrpc.result_body("Thanks")) == "Thanks"
    with pytest.raises(Fault) as info:
        xmlrpc.parse_response(xmlrpc.fault_body(17, "no link"))
    assert (info.value.faultCode, info.value.faultString) == (17, "no link")


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><methodCall/>',
        b"not xml",
        b"<methodCall><methodName>m</methodName><params><param><value><int>x</int>",
        b"<methodResponse/>",
        b"<methodCall><methodName/></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><struct>"
        + b"<member><name>a</name><value><array><data><value><struct>" * 10,
        b"<methodCall><methodName>m</methodName>" + b" " * (xmlrpc.MAX_BODY_BYTES + 1),
    ],
    ids=["billion-laughs", "xxe", "external-dtd", "garbage", "bad-int", "wrong-root",
         "no-method", "too-deep", "too-large"],
)  # fmt: skip
def test_hostile_or_broken_bodies_are_refused(body):
    with pytest.raises(xmlrpc.XmlRpcError):
        xmlrpc.parse_call(body)


def test_deeply_nested_values_are_refused():
    nested = "<value><array><data>" * 20 + "<value>x</value>" + "</data></array></value>" * 20
    body = f"<methodCall><methodName>m</methodName><params><param>{nested}</param></params>"
    with pytest.raises(xmlrpc.XmlRpcError, match="deeply"):
        xmlrpc.parse_call((body + "</methodCall>").encode())


def test_retries_back_off_then_give_up():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = [next_attempt_at(n, now) - now for n in range(1, MAX_ATTEMPTS)]
    assert waits == list(BACKOFF)
    assert waits == sorted(waits)
    assert waits[0] == timedelta(minutes=1)
    assert next_attempt_at(MAX_ATTEMPTS, now) is None
