"""Ghost's NQL filter language, the safe subset the Content API needs: a tokenizer and a
recursive-descent parser producing an AST of frozen dataclasses, and a printer back to
text. Compiling to SQL is `api.compat.nql_sql`.

Why hand-written rather than a parsing library: the grammar is ten productions
(Ghost's own is a 60-line jison file), the error messages must say what is wrong where,
and a hand-written descent has no dependency to keep and no surprise in what it
accepts. Depth, length and size are capped so no input can exhaust the stack or build
an unbounded query.

What is accepted follows Ghost's grammar (TryGhost/NQL, packages/nql-lang/src/nql.l and
nql.y; parser tests in packages/nql-lang/test/parser.test.js):

    filter     := or_expr
    or_expr    := and_expr ("," and_expr)*          "," is OR, binds loosest
    and_expr   := term ("+" term)*                  "+" is AND
    term       := "(" or_expr ")" | FIELD ":" value_expr
    value_expr := "-" "[" list "]"                  not in
                | "[" list "]"                      in (a,b) or all of (a+b)
                | ("-" | ">" | ">=" | "<" | "<=")? value
    list       := value ("," value)* | value ("+" value)+
    value      := 'quoted' | bare

Negation is on the value (`tag:-news`, `tag:-[a,b]`), as in Ghost: `-tag:news` and
`-(...)` are errors there and here, and so is `-[a+b]` (Ghost refuses it as ambiguous).
Values are bare (`getting-started`, `2024-01-01`, `true`) or single-quoted with
backslash escapes (`'Joe\\'s'`); relative dates `now-30d` / `now+1w` (units d w M y h m
s) work for date fields. Regular-expression operators (`~`, `~^`, `~$`) and `null` are
outside the subset and say so.

Fields are checked against a vocabulary per resource (`POST_FIELDS`, ...): each field
has a kind (text, boolean, date-time, id, relation) that fixes which operators it takes
and how its values are read. Ghost's aliases are understood: `tag`, `tags` and
`tags.slug` are one field (a post's tag slugs), as are `author`, `authors` and
`authors.slug` (Ghost's filterExpansions in ghost/core/core/server/models/post.js).

Deliberate differences from Ghost, all towards stricter or more predictable: a value's
meaning comes from its field (`slug:007` is the text `007`, not the number 7); inside
quotes `\\\\` is a backslash, so every string can be written; bare values may escape a
reserved character with a backslash (`a\\,b`); an empty quoted value `''` is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import NoReturn

MAX_FILTER_LENGTH = 4000
MAX_DEPTH = 10  # nested parentheses
MAX_COMPARISONS = 50
MAX_LIST_VALUES = 100
MAX_VALUE_LENGTH = 500


class NqlError(ValueError):
    """The one exception any filter text can raise: unknown field or operator, or
    malformed input. `str()` is a message fit for a Ghost-style 400's `context`."""

    def __init__(self, message: str, position: int | None = None):
        self.position = position
        if position is not None:
            message = f"{message} (at character {position + 1})"
        super().__init__(message)


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NIN = "nin"
    ALL = "all"


LIST_OPS = frozenset({Op.IN, Op.NIN, Op.ALL})


class Kind(Enum):
    TEXT = "text"
    BOOLEAN = "boolean"
    DATETIME = "date-time"
    ID = "id"
    RELATION = "relation"  # a to-many relation matched by slug: tags, authors


_OPS_BY_KIND = {
    Kind.TEXT: frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN}),
    Kind.ID: frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN}),
    Kind.BOOLEAN: frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN}),
    Kind.DATETIME: frozenset({Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE}),
    Kind.RELATION: frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN, Op.ALL}),
}

POST_FIELDS: Mapping[str, Kind] = {
    "tag": Kind.RELATION,
    "author": Kind.RELATION,
    "featured": Kind.BOOLEAN,
    "published_at": Kind.DATETIME,
    "slug": Kind.TEXT,
    "id": Kind.ID,
    "status": Kind.TEXT,
    "visibility": Kind.TEXT,
}
TAG_FIELDS: Mapping[str, Kind] = {"slug": Kind.TEXT, "id": Kind.ID, "visibility": Kind.TEXT}
AUTHOR_FIELDS: Mapping[str, Kind] = {"slug": Kind.TEXT, "id": Kind.ID}

ALIASES: Mapping[str, str] = {
    "tags": "tag",
    "tags.slug": "tag",
    "authors": "author",
    "authors.slug": "author",
}


@dataclass(frozen=True)
class RelativeDate:
    """`now-30d`: resolved against the clock when the filter is compiled."""

    sign: str  # "-" or "+"
    amount: int
    unit: str  # d w M y h m s


Value = str | bool | datetime | RelativeDate


@dataclass(frozen=True)
class Comparison:
    field: str
    op: Op
    values: tuple[Value, ...]  # one value, except for in / not in / all of


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | And | Or


# --- tokens -----------------------------------------------------------------------


class T(Enum):
    FIELD = "field"
    STRING = "quoted value"
    BARE = "value"
    LPAREN = "'('"
    RPAREN = "')'"
    LBRACKET = "'['"
    RBRACKET = "']'"
    AND = "'+'"
    OR = "','"
    NOT = "'-'"
    GT = "'>'"
    GTE = "'>='"
    LT = "'<'"
    LTE = "'<='"
    END = "end of filter"


@dataclass(frozen=True)
class Token:
    type: T
    text: str  # the field name, or the value with escapes resolved
    position: int


_SINGLE = {"(": T.LPAREN, ")": T.RPAREN, "[": T.LBRACKET, "]": T.RBRACKET}
_SINGLE |= {"+": T.AND, ",": T.OR, "-": T.NOT}
_WHITESPACE = " \t\r\n"
_RESERVED = frozenset(_WHITESPACE + "'\"+,()<>=[]~\\")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:")
# Ghost lexes `now-30d` / `now+1w` as one relative date only when a reserved character
# or the end follows, so `now-30days` stays an ordinary value.
_RELATIVE = re.compile(r"now([-+])(\d+)([dwMyhms])(?=[\s+,()\[\]]|$)", re.ASCII)


def _is_forbidden(char: str) -> bool:
    # Control characters and lone surrogates never belong in a filter; the databases
    # would refuse some of them (PostgreSQL text cannot hold NUL) with a 500.
    code = ord(char)
    return (code < 0x20 and char not in _WHITESPACE) or code == 0x7F or 0xD800 <= code <= 0xDFFF


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_FILTER_LENGTH:
        raise NqlError(f"The filter is longer than {MAX_FILTER_LENGTH} characters")
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if _is_forbidden(char):
            raise NqlError("Control characters are not allowed", i)
        if char in _WHITESPACE:
            i += 1
        elif char in _SINGLE:
            tokens.append(Token(_SINGLE[char], char, i))
            i += 1
        elif char in "<>":
            kind = {"<": (T.LT, T.LTE), ">": (T.GT, T.GTE)}[char]
            if text.startswith("=", i + 1):
                tokens.append(Token(kind[1], char + "=", i))
                i += 2
            else:
                tokens.append(Token(kind[0], char, i))
                i += 1
        elif char == "'":
            value, i = _quoted(text, i)
            tokens.append(value)
        elif char == '"':
            raise NqlError("Double quotes are not supported; quote values with '", i)
        elif char == "~":
            raise NqlError("The ~ (contains) operators are not supported", i)
        elif char == "=":
            raise NqlError("'=' is not an operator; write field:value", i)
        elif match := _FIELD.match(text, i):
            tokens.append(Token(T.FIELD, match.group()[:-1], i))
            i = match.end()
        elif match := _RELATIVE.match(text, i):
            tokens.append(Token(T.BARE, match.group(), i))
            i = match.end()
        else:
            value, i = _bare(text, i)
            tokens.append(value)
    tokens.append(Token(T.END, "", len(text)))
    return tokens


def _quoted(text: str, start: int) -> tuple[Token, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if _is_forbidden(char):
            raise NqlError("Control characters are not allowed", i)
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following in "'\"\\":
                chars.append(following)
            elif _is_forbidden(following):
                raise NqlError("Control characters are not allowed", i + 1)
            else:  # Ghost keeps other backslashes as they are
                chars.append(char + following)
            i += 2
        elif char == "'":
            return Token(T.STRING, "".join(chars), start), i + 1
        else:
            chars.append(char)
            i += 1
    raise NqlError("Unterminated quoted value", start)


def _bare(text: str, start: int) -> tuple[Token, int]:
    chars: list[str] = []
    i = start
    while i < len(text):
        char = text[i]
        if _is_forbidden(char):
            raise NqlError("Control characters are not allowed", i)
        if char == "\\":
            if i + 1 < len(text) and text[i + 1] in _RESERVED - set(_WHITESPACE):
                chars.append(text[i + 1])
                i += 2
                continue
            raise NqlError("A backslash in a bare value escapes one of ' \" + , ( ) < > = [ ] ~", i)
        if char in _RESERVED:
            break
        chars.append(char)
        i += 1
    return Token(T.BARE, "".join(chars), start), i


# --- parser -----------------------------------------------------------------------


def parse(text: str, fields: Mapping[str, Kind] = POST_FIELDS) -> Node:
    """The AST of a filter, checked against `fields`; raises NqlError, nothing else."""
    if not isinstance(text, str):
        raise NqlError("The filter must be text")
    if not text.strip():
        raise NqlError("The filter is empty")
    return _Parser(tokenize(text), fields).parse()


class _Parser:
    def __init__(self, tokens: list[Token], fields: Mapping[str, Kind]):
        self.tokens = tokens
        self.fields = fields
        self.index = 0
        self.depth = 0
        self.comparisons = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: T, context: str) -> Token:
        if self.current.type is not kind:
            self.fail(f"Expected {kind.value} {context}")
        return self.advance()

    def fail(self, message: str) -> NoReturn:
        token = self.current
        found = "the end of the filter" if token.type is T.END else repr(_shown(token))
        raise NqlError(f"{message}, found {found}", token.position)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.current.type is not T.END:
            self.fail("Expected '+', ',' or the end of the filter")
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.current.type is T.OR:
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.term()]
        while self.current.type is T.AND:
            self.advance()
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def term(self) -> Node:
        token = self.current
        if token.type is T.LPAREN:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise NqlError(f"Parentheses nest deeper than {MAX_DEPTH}", token.position)
            self.advance()
            node = self.or_expr()
            self.expect(T.RPAREN, f"to close the '(' at character {token.position + 1}")
            self.depth -= 1
            return node
        if token.type is T.FIELD:
            return self.comparison()
        if token.type is T.NOT:
            self.fail("Negation goes after the colon, as in tag:-news")
        self.fail("Expected a field such as tag: or '('")

    def comparison(self) -> Comparison:
        field_token = self.advance()
        name = ALIASES.get(field_token.text, field_token.text)
        kind = self.fields.get(name)
        if kind is None:
            allowed = ", ".join(sorted(self.fields))
            raise NqlError(
                f"Unknown filter field {field_token.text!r}; allowed: {allowed}",
                field_token.position,
            )
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise NqlError(f"More than {MAX_COMPARISONS} conditions", field_token.position)
        op, values = self.value_expr(name)
        if op not in _OPS_BY_KIND[kind]:
            raise NqlError(
                f"Field {name!r} does not take the {_OP_NAMES[op]} operator", field_token.position
            )
        return Comparison(name, op, tuple(_coerce(name, kind, token) for token in values))

    def value_expr(self, field: str) -> tuple[Op, list[Token]]:
        token = self.current
        if token.type is T.NOT and self.tokens[self.index + 1].type is T.LBRACKET:
            self.advance()
            op, values = self.value_list(field)
            if op is Op.ALL:
                message = "'-[a+b]' is ambiguous; write -[a,b] for none of them"
                raise NqlError(message, token.position)
            return Op.NIN, values
        if token.type is T.LBRACKET:
            return self.value_list(field)
        op = _PREFIX_OPS.get(token.type, Op.EQ)
        if op is not Op.EQ:
            self.advance()
        return op, [self.value(f"after {field}:")]

    def value_list(self, field: str) -> tuple[Op, list[Token]]:
        self.advance()  # [
        values = [self.value(f"in the list of {field}")]
        separator = self.current.type
        while self.current.type in (T.OR, T.AND):
            if self.current.type is not separator:
                self.fail("A list uses either ',' (any of) or '+' (all of), not both")
            self.advance()
            values.append(self.value(f"in the list of {field}"))
            if len(values) > MAX_LIST_VALUES:
                raise NqlError(f"More than {MAX_LIST_VALUES} values in a list", values[-1].position)
        self.expect(T.RBRACKET, f"to close the list of {field}")
        return (Op.ALL if separator is T.AND else Op.IN), values

    def value(self, context: str) -> Token:
        if self.current.type not in (T.STRING, T.BARE):
            self.fail(f"Expected a value {context}")
        token = self.advance()
        if len(token.text) > MAX_VALUE_LENGTH:
            raise NqlError(f"A value is longer than {MAX_VALUE_LENGTH} characters", token.position)
        return token


_PREFIX_OPS = {T.NOT: Op.NE, T.GT: Op.GT, T.GTE: Op.GTE, T.LT: Op.LT, T.LTE: Op.LTE}
_OP_NAMES = {
    Op.EQ: "equals",
    Op.NE: "not equal (-)",
    Op.GT: "greater than (>)",
    Op.GTE: "greater or equal (>=)",
    Op.LT: "less than (<)",
    Op.LTE: "less or equal (<=)",
    Op.IN: "any of ([a,b])",
    Op.NIN: "none of (-[a,b])",
    Op.ALL: "all of ([a+b])",
}


def _shown(token: Token) -> str:
    if token.type is T.FIELD:
        return token.text + ":"
    return token.text if token.type is not T.STRING else f"'{token.text}'"


# --- values -----------------------------------------------------------------------

_TRUE = frozenset({"true", "TRUE", "True"})
_FALSE = frozenset({"false", "FALSE", "False"})
_NULL = frozenset({"null", "NULL", "Null"})
_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$",
    re.ASCII,
)
_RELATIVE_VALUE = re.compile(r"^now([-+])(\d{1,6})([dwMyhms])$", re.ASCII)


def _coerce(field: str, kind: Kind, token: Token) -> Value:
    text, bare = token.text, token.type is T.BARE
    if bare and text in _NULL:
        raise NqlError(f"null is not supported for {field!r}", token.position)
    if kind is Kind.BOOLEAN:
        if bare and text in _TRUE:
            return True
        if bare and text in _FALSE:
            return False
        raise NqlError(f"{field!r} takes true or false", token.position)
    if kind is Kind.DATETIME:
        return _datetime(field, token)
    if kind is Kind.ID:
        if not _ID.fullmatch(text):
            raise NqlError(f"{field!r} takes ids of 24 hexadecimal characters", token.position)
        return text.lower()
    return text


def _datetime(field: str, token: Token) -> datetime | RelativeDate:
    if match := _RELATIVE_VALUE.fullmatch(token.text):
        return RelativeDate(match.group(1), int(match.group(2)), match.group(3))
    if not _DATE.fullmatch(token.text):
        raise NqlError(
            f"{field!r} takes a date such as '2024-01-31', '2024-01-31 09:30:00', "
            "'2024-01-31T09:30:00Z' or now-7d",
            token.position,
        )
    try:
        moment = datetime.fromisoformat(token.text)
    except ValueError:
        raise NqlError(f"{token.text!r} is not a valid date", token.position) from None
    # Ghost stores and compares UTC; a date without an offset is UTC there too.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise NqlError(f"{token.text!r} is out of range", token.position) from None


# --- printer ----------------------------------------------------------------------


def to_text(node: Node) -> str:
    """NQL text that parses back to the same AST (values always in their safest form)."""
    if isinstance(node, Comparison):
        return f"{node.field}:{_comparison_text(node)}"
    separator = "+" if isinstance(node, And) else ","
    return separator.join(
        f"({to_text(child)})" if isinstance(child, And | Or) else to_text(child)
        for child in node.operands
    )


# Printed bare: cannot be mistaken for a field, a keyword or an operator.
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_PREFIX_TEXT = {Op.EQ: "", Op.NE: "-", Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def _comparison_text(node: Comparison) -> str:
    values = [_value_text(value) for value in node.values]
    if node.op is Op.IN:
        return "[" + ",".join(values) + "]"
    if node.op is Op.NIN:
        return "-[" + ",".join(values) + "]"
    if node.op is Op.ALL:
        return "[" + "+".join(values) + "]"
    return _PREFIX_TEXT[node.op] + values[0]


def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, RelativeDate):
        return f"now{value.sign}{value.amount}{value.unit}"
    if _PLAIN.fullmatch(value) and value not in _TRUE | _FALSE | _NULL:
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
