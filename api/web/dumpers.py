"""Dumpers compiled from marshmallow schemas: one place to declare a field, and a fast
function to write it.

The schemas are the contract (openapi.yaml is generated from them). marshmallow's
`dump` goes through four calls per field (serialize, get_value, the accessor,
_serialize), which on the hot reads — a page of 20 posts of 35 fields, 100 comments,
100 events — is most of the request's Python time. `compile_dumper(schema)` reads the
schema's dump fields once and generates a plain function that reads each value once and
builds the same dict in one expression:

- String, Integer, Float and Boolean fields (and subclasses that keep their
  `_serialize`): a value of exactly the type the field writes (or None) is passed
  through, as marshmallow would return it unchanged; any other value is formatted by
  the field's own `_serialize`.
- Method and Function fields: the schema's method or the function, called on the object.
- Dict (without key or value fields): a copy, as marshmallow makes.
- Nested and List(Nested): the nested schema's own compiled dumper, item by item (as
  marshmallow's Nested calls the nested schema's `dump`).
- Any other field: its own `_serialize`, called on the value read.
- pre_dump and post_dump hooks run as `schema.dump` runs them for one object.

A dict is read by key, anything else by attribute, as marshmallow's accessor reads those
two. When a key or attribute is missing (marshmallow then writes the field's
dump_default or leaves the key out), the object is dumped by `schema.dump` itself, and
so is every object of a schema this module cannot compile (a dotted `attribute`, its
own `get_attribute` or `get_value`). What comes out is therefore what `schema.dump`
gives (one thing is not followed: a Method or Function returning marshmallow's
`missing`, which marshmallow leaves out; none of ours does). tests/unit/test_dumpers.py
and tests/integration/test_fast_views.py compare the two for every representation served.
"""

from __future__ import annotations

import copy
import keyword
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from api.web.fields import Timestamp, rfc3339

Dumper = Callable[[Any], dict]

# Field classes whose _serialize returns a value of this exact type unchanged.
_PASS_THROUGH = (
    (ma.fields.String, str),
    (ma.fields.Integer, int),
    (ma.fields.Float, float),
    (ma.fields.Boolean, bool),
)
# Why the whole object goes to schema.dump: a key or attribute it does not have.
_MISSING = (AttributeError, KeyError)


class _Uncompilable(Exception):
    pass


def compile_dumper(schema: ma.Schema) -> Dumper:
    """A function of one object giving `schema.dump(obj)` for a schema with many=False.

    Compile once (at start-up or behind a cache) and call it per object; a page is
    `[dump(item) for item in items]`, as a page schema's List(Nested) dumps it.
    """
    if schema.many:
        raise ValueError("Compile the item schema (many=False); map it over the items.")
    hooked = bool(schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP])
    try:
        # Without hooks, the generated function falls back to schema.dump by itself.
        build = _generate(schema, fallback=None if hooked else schema.dump)
    except _Uncompilable:
        return schema.dump
    if not hooked:
        return build
    schema_dump, process = schema.dump, schema._invoke_dump_processors

    def dump(obj: Any) -> dict:
        try:
            data = build(process(PRE_DUMP, obj, many=False, original_data=obj))
        except _MISSING:
            return schema_dump(obj)
        return process(POST_DUMP, data, many=False, original_data=obj)

    return dump


def _generate(schema: ma.Schema, fallback: Dumper | None) -> Dumper:
    """One function: a dict read by key, anything else by attribute; on a missing key or
    attribute, `fallback(obj)` (or the error, without a fallback)."""
    if type(schema).get_attribute is not ma.Schema.get_attribute:
        raise _Uncompilable
    namespace: dict[str, Any] = {"rfc3339": rfc3339, "fallback": fallback, "dict": dict}
    reads: list[tuple[str, str]] = []  # (variable, source attribute), in order
    items: list[str] = []  # `"key": expression`, in the schema's order
    for number, (name, field) in enumerate(schema.dump_fields.items()):
        if type(field).get_value is not ma.fields.Field.get_value:
            raise _Uncompilable
        key = field.data_key if field.data_key is not None else name
        value = f"v{number}"
        formatted = _expression(field, name, value, f"f{number}", namespace)
        if field._CHECK_ATTRIBUTE:  # Method, Function, Constant read nothing
            attribute = field.attribute or name
            if not attribute.isidentifier() or keyword.iskeyword(attribute):
                raise _Uncompilable  # a dotted path, say
            reads.append((value, attribute))
        items.append(f"{key!r}: {formatted},")
    indent = "        " if fallback else "    "
    body = [
        f"{indent}if obj.__class__ is dict:",
        *(f"{indent}    {v} = obj[{a!r}]" for v, a in reads),
        f"{indent}else:",
        *(f"{indent}    {v} = obj.{a}" for v, a in reads),
        f"{indent}return {{",
        *(f"{indent}    {item}" for item in items),
        f"{indent}}}",
    ]
    if not reads:
        body = [f"{indent}return {{", *(f"{indent}    {item}" for item in items), f"{indent}}}"]
    if fallback:
        body = [
            "    try:",
            *body,
            "    except (AttributeError, KeyError):",
            "        return fallback(obj)",
        ]
    source = "\n".join(["def dump(obj):", *body])
    exec(compile(source, f"<dumper of {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
    return namespace["dump"]


def _expression(field: ma.fields.Field, name: str, value: str, handle: str, namespace) -> str:
    """Python for the field's dumped value, `value` naming the value read (if it reads
    one: marshmallow's _CHECK_ATTRIBUTE)."""
    kind = type(field)
    if isinstance(field, ma.fields.Method) and kind._serialize is ma.fields.Method._serialize:
        if field._serialize_method is None:
            raise _Uncompilable  # marshmallow leaves the key out
        namespace[handle] = field._serialize_method
        return f"{handle}(obj)"
    if isinstance(field, ma.fields.Function) and kind._serialize is ma.fields.Function._serialize:
        namespace[handle] = field.serialize_func
        return f"{handle}(obj)"
    if not field._CHECK_ATTRIBUTE:
        namespace[handle] = field._serialize
        return f"{handle}(None, {name!r}, obj)"
    if isinstance(field, ma.fields.Nested) and kind._serialize is ma.fields.Nested._serialize:
        nested = field.schema
        if nested.many or field.many:
            namespace[handle] = compile_dumper(_one(nested))
            return f"None if {value} is None else [{handle}(x) for x in {value}]"
        namespace[handle] = compile_dumper(nested)
        return f"None if {value} is None else {handle}({value})"
    if (
        isinstance(field, ma.fields.List)
        and kind._serialize is ma.fields.List._serialize
        and isinstance(field.inner, ma.fields.Nested)
        and type(field.inner)._serialize is ma.fields.Nested._serialize
    ):
        nested = field.inner.schema
        if nested.many or field.inner.many:
            raise _Uncompilable  # lists of lists: left to marshmallow
        namespace[handle] = compile_dumper(nested)
        return f"None if {value} is None else [{handle}(x) for x in {value}]"
    if (
        isinstance(field, ma.fields.Mapping)
        and kind._serialize is ma.fields.Mapping._serialize
        and field.key_field is None
        and field.value_field is None
    ):
        namespace[handle] = field.mapping_type
        return f"None if {value} is None else {handle}({value})"
    if kind._serialize is Timestamp._serialize:
        return f"rfc3339({value})"
    namespace[handle] = field._serialize
    for base, exact in _PASS_THROUGH:
        if isinstance(field, base) and kind._serialize is base._serialize:
            if getattr(field, "as_string", False):
                break
            namespace[f"{handle}t"] = exact
            return (
                f"{value} if {value}.__class__ is {handle}t or {value} is None "
                f"else {handle}({value}, {name!r}, obj)"
            )
    return f"{handle}({value}, {name!r}, obj)"


def _one(schema: ma.Schema) -> ma.Schema:
    """A `many` nested schema, for one item: marshmallow dumps the list in one call, which
    is the same as item by item unless a hook sees the whole list."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        raise _Uncompilable
    one = copy.copy(schema)
    one.many = False
    return one
