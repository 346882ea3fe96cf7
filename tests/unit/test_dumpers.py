"""A compiled dumper gives exactly what its schema's dump gives, whatever it is fed.

Each marshmallow feature the compiler turns into code is checked against marshmallow
itself on generated values: values of the type a field writes, values of other types
(which the field formats), None, missing keys and attributes, dicts and objects. Then
every schema the API declares is compiled and compared on generated objects.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import marshmallow as ma
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

import api
from api.web.dumpers import compile_dumper
from api.web.fields import StrictBoolean, Timestamp
from config import load_settings

MISSING = object()  # an attribute or key the object does not have

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.text(max_size=8),
    st.binary(max_size=4).filter(lambda b: all(c < 128 for c in b)),
)
moments = st.datetimes(timezones=st.sampled_from([UTC, None])).filter(
    lambda moment: moment.tzinfo is not None
)


class Inner(ma.Schema):
    slug = ma.fields.String()
    rank = ma.fields.Integer(data_key="position")


class Hooked(ma.Schema):
    word = ma.fields.String()

    @ma.pre_dump
    def _unwrap(self, obj, **kwargs):
        return obj["wrapped"] if isinstance(obj, dict) and "wrapped" in obj else obj

    @ma.post_dump(pass_original=True)
    def _shout(self, data, original, **kwargs):
        if isinstance(data.get("word"), str):
            data["word"] = data["word"].upper()
        return data


class Everything(ma.Schema):
    """One field of each kind the compiler knows, and some it leaves to marshmallow."""

    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    ratio = ma.fields.Float()
    flag = StrictBoolean()
    loose = ma.fields.Boolean(truthy={"yes"}, falsy={"no"})
    count_text = ma.fields.Integer(as_string=True)
    renamed = ma.fields.String(attribute="source_name", data_key="shown")
    at = Timestamp(allow_none=True)
    data = ma.fields.Dict()
    price = ma.fields.Decimal(places=2)
    inner = ma.fields.Nested(Inner, allow_none=True)
    inners = ma.fields.Nested(Inner, many=True)
    listed = ma.fields.List(ma.fields.Nested(Inner(only=("rank",))))
    words = ma.fields.List(ma.fields.String())
    hooked = ma.fields.Nested(Hooked, allow_none=True)
    defaulted = ma.fields.String(dump_default="fallback")
    constant = ma.fields.Constant("always")
    method = ma.fields.Method("describe")
    function = ma.fields.Function(lambda obj: _get(obj, "name"))

    def describe(self, obj) -> str:
        return f"{_get(obj, 'id')}:{_get(obj, 'name')}"


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


inner_values = st.fixed_dictionaries(
    {},
    optional={"slug": anything, "rank": anything},
)
values = {
    "id": anything,
    "name": anything,
    "ratio": st.none() | st.floats(allow_nan=False) | st.integers(-5, 5),
    "flag": st.none() | st.booleans() | st.sampled_from([0, 1]),
    "loose": st.none() | st.booleans() | st.sampled_from(["yes", "no", 1, 0]),
    "count_text": st.none() | st.integers(),
    "source_name": anything,
    "at": st.none() | moments,
    "data": st.none() | st.dictionaries(st.text(max_size=3), anything, max_size=3),
    "price": st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=4),
    "inner": st.none() | inner_values,
    "inners": st.lists(inner_values, max_size=3),
    "listed": st.none() | st.lists(inner_values, max_size=3),
    "words": st.none() | st.lists(anything, max_size=3),
    "hooked": st.none() | st.fixed_dictionaries({}, optional={"word": anything}),
    "defaulted": anything,
}
sources = st.fixed_dictionaries(
    {},
    optional={name: strategy for name, strategy in values.items()},
)


def _as_objects(value, as_object: bool):
    """The same data as dicts or as objects with attributes (nested ones too)."""
    if as_object and isinstance(value, dict) and set(value) <= {*values, "slug", "rank", "word"}:
        return SimpleNamespace(**{k: _as_objects(v, as_object) for k, v in value.items()})
    if isinstance(value, list):
        return [_as_objects(item, as_object) for item in value]
    return value


def _same(schema: ma.Schema, obj) -> None:
    try:
        expected = schema.dump(obj)
    except Exception as error:  # what marshmallow raises, the dumper raises too
        with pytest.raises(type(error)):
            compile_dumper(schema)(obj)
        return
    got = compile_dumper(schema)(obj)
    assert got == expected
    assert list(got) == list(expected)  # key order too


@settings(max_examples=150, deadline=None)
@given(source=sources, as_object=st.booleans())
def test_every_field_kind_dumps_as_marshmallow_does(source, as_object):
    _same(Everything(), _as_objects(source, as_object))


@settings(max_examples=100, deadline=None)
@given(
    source=sources,
    fields=st.lists(st.sampled_from(sorted(Everything._declared_fields)), unique=True),
)
def test_only_and_exclude_give_marshmallows_keys_in_its_order(source, fields):
    _same(Everything(only=fields), source)
    _same(Everything(exclude=fields), _as_objects(source, True))


def test_values_of_another_type_are_formatted_by_the_field():
    dumped = compile_dumper(Everything(only=("id", "name", "flag", "price", "at")))(
        {"id": "7", "name": 7, "flag": 1, "price": 3, "at": datetime(2026, 1, 1, tzinfo=UTC)}
    )
    assert dumped == {
        "id": 7,
        "name": "7",
        "flag": True,
        "price": Decimal("3.00"),
        "at": "2026-01-01T00:00:00Z",
    }


def test_a_missing_value_is_left_out_or_defaulted_as_marshmallow_does():
    dump = compile_dumper(Everything(only=("id", "defaulted", "constant")))
    assert dump({}) == {"defaulted": "fallback", "constant": "always"}
    assert dump(SimpleNamespace(id=1)) == {"id": 1, "defaulted": "fallback", "constant": "always"}


def test_hooks_run_as_for_one_object():
    dump = compile_dumper(Hooked())
    assert dump({"wrapped": {"word": "hi"}}) == {"word": "HI"}
    assert dump(SimpleNamespace(word="calm")) == {"word": "CALM"}


def test_a_schema_it_cannot_compile_is_dumped_by_marshmallow():
    class Dotted(ma.Schema):
        city = ma.fields.String(attribute="address.city")

    schema = Dotted()
    assert compile_dumper(schema) == schema.dump
    assert compile_dumper(Dotted())({"address": {"city": "Oslo"}}) == {"city": "Oslo"}
    with pytest.raises(ValueError, match="many=False"):
        compile_dumper(Dotted(many=True))


# --- every schema of the API ---------------------------------------------------


def _schemas() -> list[type[ma.Schema]]:
    for module in pkgutil.walk_packages(api.__path__, "api."):
        if module.name.endswith(".schemas"):
            importlib.import_module(module.name)
    found, todo = [], [ma.Schema]
    while todo:
        for schema in todo.pop().__subclasses__():
            todo.append(schema)
            if schema.__module__.startswith("api."):
                found.append(schema)
    return sorted(found, key=lambda schema: f"{schema.__module__}.{schema.__qualname__}")


def _value_for(field: ma.fields.Field, draw, depth: int):
    if isinstance(field, ma.fields.Nested):
        return draw(st.none() | st.just(_object_for(field.schema, draw, depth + 1)))
    if isinstance(field, ma.fields.List) and isinstance(field.inner, ma.fields.Nested):
        return [
            _object_for(field.inner.schema, draw, depth + 1) for _ in range(draw(st.integers(0, 2)))
        ]
    if isinstance(field, Timestamp):
        return draw(st.none() | moments)
    if isinstance(field, ma.fields.Mapping):
        return draw(st.none() | st.dictionaries(st.text(max_size=3), anything, max_size=2))
    if isinstance(field, ma.fields.List):
        return draw(st.none() | st.lists(st.text(max_size=4), max_size=2))
    return draw(anything)


def _object_for(schema: ma.Schema, draw, depth: int = 0):
    if depth > 3:
        return None
    data = {}
    for name, field in schema.dump_fields.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # now and then, a missing one
        data[field.attribute or name] = _value_for(field, draw, depth)
    return data if draw(st.booleans()) else SimpleNamespace(**data)


@pytest.mark.parametrize(
    "schema_class", _schemas(), ids=lambda s: f"{s.__module__}.{s.__qualname__}"
)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_schema_compiles_to_its_own_dump(schema_class, data):
    schema = schema_class()
    with _SITE.app_context():  # Method fields may read the settings
        _same(schema, _object_for(schema, data.draw))


_SITE = Flask(__name__)
_SITE.config["MARGINALIA"] = load_settings(environ={}, demo_on_empty="false")
