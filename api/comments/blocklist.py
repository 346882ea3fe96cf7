"""Block rules set by admins and moderators, and the matcher that applies them.

Pure code: rules and comment candidates are plain dataclasses; the caller loads rules
from wherever they are stored, builds a `Blocklist` once (rebuild it when the rules
change) and asks it about each comment.

Kinds and how each matches (every comparison is case-insensitive):

* ``email``        the whole address, exactly (no removal of dots or ``+tags``: those are
                   real, different mailboxes at most providers).
* ``email_domain`` the domain of the address, and every subdomain of it
                   (``example.com`` blocks ``a@example.com`` and ``a@mail.example.com``,
                   not ``a@badexample.com``). IDN domains compare in their ASCII form.
* ``ip``           an IPv4 or IPv6 address or CIDR range. A single IPv6 *address* is
                   widened to the /64 that holds it, because one subscriber line or VM
                   gets a whole /64 and rotates the low bits at will (RFC 4941 privacy
                   addresses): blocking one /128 would stop nobody. Write ``…/128`` to
                   mean exactly one address. The normalised value shows the network
                   that is really blocked. An IPv4-mapped IPv6 client address
                   (``::ffff:203.0.113.7``) is judged as the IPv4 address it is.
* ``identity``     an OIDC identity: issuer and subject, exactly (OIDC compares both as
                   plain strings); the value is ``"<issuer> <subject>"``.
* ``word``         a word or phrase, as whole words, anywhere in the author name,
                   author URL or text. Unicode aware: text and rule are NFKC-normalised
                   and case-folded (fullwidth ``VIAGRA`` and ``Straße``/``STRASSE`` match), and
                   invisible format characters (zero-width space…) are removed first so
                   ``vi\u200bagra`` cannot slip through. In scripts written without spaces
                   between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) there are no
                   word boundaries to find, so such a rule matches anywhere in the text.
* ``regex``        a regular expression (the ``regex`` package's syntax, case-insensitive)
                   searched in the author name, email, URL and text. Every search runs
                   under a time limit, and one comment's regex searches share a budget, so
                   a pattern that backtracks catastrophically (``(a|aa)+$``) costs at most
                   the limit: it counts as "no match" and a warning is logged.

Each rule has an action. When several rules match, the strongest action wins:
``shadow`` > ``spam`` > ``hold``. A shadow block is a spam verdict *plus* a lie to
the sender (they are answered as if their comment were accepted), so it is the most
deliberate decision a moderator can make about an author, and a mere ``spam`` rule must
never undo it by revealing the verdict; ``hold`` only asks a human to look, so any
rule that decides by itself outranks it. (Whether shadow is honoured at all is a site
setting; with it off, the caller treats ``shadow`` as ``spam``.) Among rules of equal
strength the one reported is the first by kind (identity, email, email_domain, ip,
word, regex) then by rule id, so the reason stays stable.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import regex

log = logging.getLogger(__name__)

KINDS = ("identity", "email", "email_domain", "ip", "word", "regex")
ACTIONS = ("hold", "spam", "shadow")
# Strength of each action when several rules match (see the module docstring).
STRENGTH = {"hold": 0, "spam": 1, "shadow": 2}

MAX_VALUE_CHARS = {
    "email": 254,  # RFC 5321's path limit
    "email_domain": 253,
    "ip": 64,
    "identity": 1024,
    "word": 100,
    "regex": 500,
}
MAX_NOTE_CHARS = 500
# A regex search is stopped after this many seconds (wall clock, the `regex` package's
# own limit), and all of one comment's regex searches together get REGEX_BUDGET seconds
# of this thread's CPU time: CPU, not wall clock, so a busy machine descheduling the
# thread does not make rules go unchecked. Either limit hit is logged as a warning.
REGEX_TIMEOUT = 0.1
REGEX_BUDGET = 0.5
IPV6_SINGLE_PREFIX = 64

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class BlockRule:
    id: int
    kind: str
    value: str  # as normalised by `normalise_value`
    action: str
    expires_at: datetime | None = None  # aware; None = never
    note: str = ""

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class CommentCandidate:
    """What the blocklist may look at in a comment (all optional)."""

    email: str | None = None
    ip: str | None = None
    issuer: str | None = None  # OIDC identity, when signed in
    subject: str | None = None
    name: str | None = None
    url: str | None = None
    body: str | None = None  # the text as typed


@dataclass(frozen=True)
class BlockHit:
    rule: BlockRule
    field: str  # where it matched: "author email", "IP address", "comment text"...

    @property
    def action(self) -> str:
        return self.rule.action

    @property
    def reason(self) -> str:
        rule = self.rule
        return f"The {self.field} matches block rule {rule.id} ({rule.kind} {rule.value!r})."


# --- validation -------------------------------------------------------------------------


class BlockRuleError(ValueError):
    """Rule input that cannot be used; `errors` maps a field name to messages (the
    shape of a 422 problem's `errors`)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def identity_value(issuer: str, subject: str) -> str:
    """The value of an ``identity`` rule (an issuer URL never contains a space)."""
    return f"{issuer} {subject}"


def normalise_value(kind: str, value: str) -> str:
    """The canonical form of a rule's value; raises ValueError with a message for people."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    if not isinstance(value, str) or not value.strip():
        raise ValueError("A value is required.")
    limit = MAX_VALUE_CHARS[kind]
    if len(value) > limit:
        raise ValueError(f"Too long: at most {limit} characters for a {kind} rule.")
    return _NORMALISERS[kind](value.strip())


def validate_rule(
    kind: str,
    value: str,
    action: str,
    *,
    expires_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> str:
    """Check rule input as a whole; returns the normalised value or raises BlockRuleError
    naming every bad field."""
    errors: dict[str, list[str]] = {}
    normalised = ""
    if kind not in KINDS:
        errors["kind"] = [f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}."]
    else:
        try:
            normalised = normalise_value(kind, value)
        except ValueError as exc:
            errors["value"] = [str(exc)]
    if action not in ACTIONS:
        errors["action"] = [f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}."]
    if expires_at is not None:
        if expires_at.tzinfo is None:
            errors["expires_at"] = ["Give a time zone (RFC 3339, e.g. 2030-01-01T00:00:00Z)."]
        elif now is not None and expires_at <= now:
            errors["expires_at"] = ["The expiry is in the past."]
    if note and len(note) > MAX_NOTE_CHARS:
        errors["note"] = [f"Too long: at most {MAX_NOTE_CHARS} characters."]
    if errors:
        raise BlockRuleError(errors)
    return normalised


def _normalise_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an email address (name@domain).")
    return f"{local.casefold()}@{_normalise_domain(domain)}"


def _normalise_domain(value: str) -> str:
    domain = value.removeprefix("@").rstrip(".").casefold()
    if not domain or any(c.isspace() or c in "@/:" for c in domain):
        raise ValueError(f"{value!r} is not a domain name (e.g. example.com).")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{value!r} is not a valid domain name.") from None


def _normalise_ip(value: str) -> str:
    try:
        if "/" not in value:
            address = ipaddress.ip_address(value)
            if address.version == 6:
                return str(ipaddress.ip_network(f"{address}/{IPV6_SINGLE_PREFIX}", strict=False))
            return str(address)
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IP address or CIDR range "
            "(e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/48)."
        ) from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} would block every address; give a narrower range.")
    return str(network)


def _normalise_identity(value: str) -> str:
    issuer, _, subject = value.partition(" ")
    if not issuer.startswith(("https://", "http://")) or not subject.strip():
        raise ValueError("An identity is '<issuer URL> <subject>', e.g. 'https://id.example 42'.")
    return identity_value(issuer, subject.strip())


def _normalise_word(value: str) -> str:
    folded = _fold(value)
    if not _WORD_CHARS.fullmatch(folded) or not _TOKEN.search(folded):
        raise ValueError(
            "A word rule holds letters, digits, spaces, hyphens and apostrophes only; "
            "use a regex rule for anything else."
        )
    return " ".join(folded.split())


def _normalise_regex(value: str) -> str:
    try:
        pattern = regex.compile(value, _REGEX_FLAGS)
    except (regex.error, ValueError, OverflowError) as exc:
        raise ValueError(f"The regular expression does not compile: {exc}.") from None
    try:
        everything = pattern.search("", timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        everything = False
    if everything:
        raise ValueError("The regular expression matches empty text, so every comment.")
    return value


_NORMALISERS = {
    "email": _normalise_email,
    "email_domain": _normalise_domain,
    "ip": _normalise_ip,
    "identity": _normalise_identity,
    "word": _normalise_word,
    "regex": _normalise_regex,
}


# --- text folding -----------------------------------------------------------------------

_REGEX_FLAGS = regex.IGNORECASE | regex.VERSION1
_FORMAT_CHARS = regex.compile(r"\p{Cf}+")
_TOKEN = regex.compile(r"\w+")
_WORD_CHARS = regex.compile(r"[\w\s'\u2019-]+")  # U+2019: typographic apostrophe
# Scripts that do not separate words with spaces: no word boundaries to find.
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


def _fold(text: str) -> str:
    """NFKC case folding (Unicode's identifier-caseless form), without invisible format
    characters."""
    text = _FORMAT_CHARS.sub("", text)
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


# --- matching ---------------------------------------------------------------------------


class Blocklist:
    """The rules indexed by kind; `match` is cheap for thousands of rules: dictionary
    lookups for emails, domains (one per label of the comment's domain), identities and
    words (one per word position and phrase length), one lookup per distinct prefix
    length for IP ranges; only regex rules cost a search each."""

    def __init__(self, rules: Iterable[BlockRule]) -> None:
        self._exact: dict[str, dict[str, list[BlockRule]]] = {
            kind: defaultdict(list) for kind in ("identity", "email", "email_domain")
        }
        # (version, prefix length) -> network address as int -> rules
        self._networks: dict[tuple[int, int], dict[int, list[BlockRule]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._phrases: dict[tuple[str, ...], list[BlockRule]] = defaultdict(list)
        self._phrase_lengths: set[int] = set()
        self._unspaced: list[tuple[str, BlockRule]] = []
        self._regexes: list[tuple[regex.Pattern, BlockRule]] = []
        self._order = {kind: index for index, kind in enumerate(KINDS)}
        for rule in rules:
            try:
                self._add(rule)
            except (ValueError, regex.error) as exc:
                # A stored rule that no longer parses (edited in the database, written by
                # an older version) must not take every other rule down with it.
                log.warning("blocklist: rule %s (%s) skipped: %s", rule.id, rule.kind, exc)

    def _add(self, rule: BlockRule) -> None:
        if rule.kind in self._exact:
            key = rule.value if rule.kind == "identity" else rule.value.casefold()
            self._exact[rule.kind][key].append(rule)
        elif rule.kind == "ip":
            network = ipaddress.ip_network(rule.value, strict=False)
            bucket = self._networks[(network.version, network.prefixlen)]
            bucket[int(network.network_address)].append(rule)
        elif rule.kind == "word":
            folded = _fold(rule.value)
            if _UNSPACED.search(folded):
                self._unspaced.append(("".join(folded.split()), rule))
            else:
                phrase = tuple(_tokens(folded))
                if not phrase:  # the empty phrase would be found in every comment
                    raise ValueError("a word rule without a word")
                self._phrases[phrase].append(rule)
                self._phrase_lengths.add(len(phrase))
        elif rule.kind == "regex":
            self._regexes.append((regex.compile(rule.value, _REGEX_FLAGS), rule))
        else:
            raise ValueError(f"unknown block rule kind {rule.kind!r}")

    def __len__(self) -> int:
        exact = sum(len(rules) for index in self._exact.values() for rules in index.values())
        networks = sum(len(r) for b in self._networks.values() for r in b.values())
        words = sum(len(r) for r in self._phrases.values()) + len(self._unspaced)
        return exact + networks + words + len(self._regexes)

    def match(self, candidate: CommentCandidate, now: datetime) -> BlockHit | None:
        """The strongest active rule matching the comment, or None."""
        hits = self.hits(candidate, now)
        if not hits:
            return None
        return min(
            hits,
            key=lambda h: (-STRENGTH[h.action], self._order[h.rule.kind], h.rule.id),
        )

    def hits(self, candidate: CommentCandidate, now: datetime) -> list[BlockHit]:
        """Every active rule matching the comment (expired rules are ignored)."""
        found: list[BlockHit] = []
        found += self._identity_hits(candidate)
        found += self._email_hits(candidate)
        found += self._ip_hits(candidate)
        found += self._word_hits(candidate)
        found = [hit for hit in found if hit.rule.active(now)]
        return found + self._regex_hits(candidate, now)

    def _identity_hits(self, c: CommentCandidate) -> list[BlockHit]:
        if not (c.issuer and c.subject):
            return []
        rules = self._exact["identity"].get(identity_value(c.issuer, c.subject), [])
        return [BlockHit(rule, "OIDC identity") for rule in rules]

    def _email_hits(self, c: CommentCandidate) -> list[BlockHit]:
        if not c.email:
            return []
        try:
            email = _normalise_email(c.email.strip())
        except ValueError:
            return []
        hits = [BlockHit(r, "author email") for r in self._exact["email"].get(email, [])]
        labels = email.rpartition("@")[2].split(".")
        domains = self._exact["email_domain"]
        for start in range(len(labels)):
            for rule in domains.get(".".join(labels[start:]), []):
                hits.append(BlockHit(rule, "author email's domain"))
        return hits

    def _ip_hits(self, c: CommentCandidate) -> list[BlockHit]:
        address = _client_address(c.ip)
        if address is None or not self._networks:
            return []
        number = int(address)
        bits = address.max_prefixlen
        hits = []
        for (version, prefix), bucket in self._networks.items():
            if version != address.version:
                continue
            key = number >> (bits - prefix) << (bits - prefix) if prefix else 0
            hits += [BlockHit(rule, "IP address") for rule in bucket.get(key, [])]
        return hits

    def _word_hits(self, c: CommentCandidate) -> list[BlockHit]:
        if not (self._phrases or self._unspaced):
            return []
        hits = []
        for field, text in (("author name", c.name), ("author URL", c.url), ("text", c.body)):
            if not text:
                continue
            folded = _fold(text)
            tokens = _tokens(folded)
            for length in self._phrase_lengths:
                for start in range(len(tokens) - length + 1):
                    rules = self._phrases.get(tuple(tokens[start : start + length]))
                    if rules:
                        hits += [BlockHit(rule, field) for rule in rules]
            if self._unspaced:
                squeezed = "".join(folded.split())
                hits += [BlockHit(rule, field) for word, rule in self._unspaced if word in squeezed]
        return _unique(hits)

    def _regex_hits(self, c: CommentCandidate, now: datetime) -> list[BlockHit]:
        regexes = [(pattern, rule) for pattern, rule in self._regexes if rule.active(now)]
        if not regexes:
            return []
        fields = [
            (field, text)
            for field, text in (
                ("author name", c.name),
                ("author email", c.email),
                ("author URL", c.url),
                ("text", c.body),
            )
            if text
        ]
        deadline = time.thread_time() + REGEX_BUDGET
        hits = []
        for index, (pattern, rule) in enumerate(regexes):
            for field, text in fields:
                left = deadline - time.thread_time()
                if left <= 0:
                    skipped = len(regexes) - index
                    log.warning(
                        "blocklist: regex time budget spent; %d regex rule(s) not checked",
                        skipped,
                    )
                    return hits
                try:
                    found = pattern.search(text, timeout=min(REGEX_TIMEOUT, left))
                except TimeoutError:
                    log.warning(
                        "blocklist: regex rule %s timed out on the %s; counted as no match",
                        rule.id,
                        field,
                    )
                    continue
                if found is not None:
                    hits.append(BlockHit(rule, field))
                    break
        return hits


def _unique(hits: list[BlockHit]) -> list[BlockHit]:
    seen: set[int] = set()
    unique = []
    for hit in hits:
        if id(hit.rule) not in seen:
            seen.add(id(hit.rule))
            unique.append(hit)
    return unique


def _client_address(ip: str | None) -> IPAddress | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip().partition("%")[0])  # drop an IPv6 zone
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
