"""XML-RPC, read with defusedxml only and written with xmlrpc.client.dumps.

The standard library's XML-RPC parser sits on expat with DTDs and entities enabled;
here any DTD is refused outright (billion laughs, external entities and external DTDs
all need one), bodies are size-capped, and values nest only so deep. Only the value
types pingbacks use need decoding, but all standard ones are understood.
"""

from __future__ import annotations

import base64
import xmlrpc.client
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

MAX_BODY_BYTES = 64 * 1024  # a pingback call is a few hundred bytes
MAX_DEPTH = 8

# Fault codes: the Pingback 1.0 spec's, and the XML-RPC interop ones for bad calls.
GENERIC = 0
SOURCE_MISSING = 16
NO_LINK = 17
TARGET_MISSING = 32
TARGET_NOT_PINGABLE = 33
ALREADY_REGISTERED = 48
ACCESS_DENIED = 49
UPSTREAM_ERROR = 50
PARSE_ERROR = -32700
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


class XmlRpcError(ValueError):
    """The body is not an XML-RPC document we accept."""


def parse_call(body: bytes) -> tuple[str, list[Any]]:
    """A methodCall body -> (method name, params)."""
    root = _parse(body)
    if root.tag != "methodCall":
        raise XmlRpcError("not a methodCall")
    name = (root.findtext("methodName") or "").strip()
    if not name:
        raise XmlRpcError("no methodName")
    params = root.find("params")
    values = [] if params is None else [_param(param) for param in params.findall("param")]
    return name, values


def parse_response(body: bytes) -> Any:
    """A methodResponse body -> its value; a fault raises xmlrpc.client.Fault."""
    root = _parse(body)
    if root.tag != "methodResponse":
        raise XmlRpcError("not a methodResponse")
    fault = root.find("fault")
    if fault is not None:
        value = _value(fault.find("value"), 0)
        if not isinstance(value, dict):
            raise XmlRpcError("malformed fault")
        code, message = value.get("faultCode"), value.get("faultString")
        raise xmlrpc.client.Fault(code if isinstance(code, int) else GENERIC, str(message))
    params = root.find("params")
    if params is None or params.find("param") is None:
        raise XmlRpcError("no result")
    return _param(params.find("param"))


def call_body(method: str, *params: Any) -> bytes:
    return xmlrpc.client.dumps(params, methodname=method, encoding="utf-8").encode("utf-8")


def result_body(value: Any) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True, encoding="utf-8").encode("utf-8")


def fault_body(code: int, message: str) -> bytes:
    fault = xmlrpc.client.Fault(code, message)
    return xmlrpc.client.dumps(fault, methodresponse=True, encoding="utf-8").encode("utf-8")


def _parse(body: bytes) -> Element:
    if len(body) > MAX_BODY_BYTES:
        raise XmlRpcError("request too large")
    try:
        return SafeElementTree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise XmlRpcError(f"unreadable XML ({type(exc).__name__})") from None


def _param(param: Element) -> Any:
    return _value(param.find("value"), 0)


def _value(node: Element | None, depth: int) -> Any:
    if node is None:
        raise XmlRpcError("missing value")
    if depth > MAX_DEPTH:
        raise XmlRpcError("values nested too deeply")
    children = list(node)
    if not children:
        return node.text or ""  # no type element: a string
    typed = children[0]
    kind, text = typed.tag, (typed.text or "")
    try:
        if kind == "string":
            return text
        if kind in ("int", "i4", "i8"):
            return int(text.strip())
        if kind == "boolean":
            if text.strip() not in ("0", "1"):
                raise XmlRpcError("bad boolean")
            return text.strip() == "1"
        if kind == "double":
            return float(text.strip())
        if kind == "dateTime.iso8601":
            return text.strip()
        if kind == "base64":
            return base64.b64decode(text, validate=False)
        if kind == "nil":
            return None
        if kind == "array":
            data = typed.find("data")
            items = [] if data is None else data.findall("value")
            return [_value(item, depth + 1) for item in items]
        if kind == "struct":
            return {
                (member.findtext("name") or ""): _value(member.find("value"), depth + 1)
                for member in typed.findall("member")
            }
    except XmlRpcError:
        raise
    except (ValueError, TypeError):
        raise XmlRpcError(f"bad {kind} value") from None
    raise XmlRpcError(f"unknown value type {kind!r}")
