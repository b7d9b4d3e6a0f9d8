"""Planted personal data and secrets, to measure redaction: realistic values of every kind
mixed into the tool outputs of trajforge's own trajectories.

:func:`canary` makes one value of a kind in one of its usual shapes (an API key of one of a
dozen providers, a phone number of one of several countries and formats...), never one of the
values reserved for documentation (which the redaction keeps). :func:`plant` writes it into a
tool result the way such values turn up there: a field of a JSON object or a line of text (a
log line, a note, a header). Used by ``bench/redact.py`` and the redaction tests.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import phonenumbers
from stdnum import iban, luhn

from trajforge.agents.base import Policy, PolicyFactory
from trajforge.agents.registry import expert_for, with_mistakes
from trajforge.curate.finding import KINDS, Finding
from trajforge.curate.placeholders import Placeholders
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.run.episode import generate_episode
from trajforge.schema import Task, ToolCall, ToolResult, ToolSpec, Trajectory

#: The built-in environments, whose trajectories carry the planted values.
ENVIRONMENTS: Final = ("support", "itops", "dataops", "scheduling", "web")

Counts = dict[str, tuple[int, int]]
"""Found and planted, by label."""

ALNUM: Final = string.ascii_letters + string.digits
_B64: Final = ALNUM + "+/"
_TOKEN: Final = ALNUM + "-_"
_SLACK_HOOKS: Final = "https://hooks.slack.com/services"
_FIRST = ("maria", "james", "wei", "fatima", "olu", "sven", "priya", "diego", "hana", "noah")
_LAST = ("okafor", "lindqvist", "tanaka", "moreau", "haddad", "kowalski", "nguyen", "silva")
_MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "proton.me", "acme-corp.io", "mail.uni-heidelberg.de",
    "brightwave.co.uk", "bigbank.com.au", "orbit.ai", "fastmail.fm", "kpmg-tax.nl",
)  # fmt: skip
_STREETS = ("Maple", "River", "Baker", "Sunset", "Oak Ridge", "Martin Luther King", "Elm", "High")
_STREET_TYPES = ("Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane",
                 "Drive", "Dr", "Court", "Way", "Place", "Parkway", "Terrace")  # fmt: skip
_US_TOWNS = (("Springfield", "IL", "627"), ("Austin", "TX", "787"), ("Portland", "OR", "972"),
             ("Cambridge", "MA", "021"), ("Denver", "CO", "802"))  # fmt: skip
_UK_TOWNS = (("London", "NW1"), ("Leeds", "LS6"), ("Bristol", "BS8"), ("Glasgow", "G12"))
_US_AREAS = ("212", "415", "617", "312", "206", "303", "512", "646", "702", "808", "404")
_PHONE_SHAPES = (
    "({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "+1-{a}-{b}-{c}",
    "+1{a}{b}{c}", "+1 ({a}) {b}-{c}",
)  # fmt: skip
_FOREIGN_PHONES = ("+44 7{d3} {d6}", "+49 30 {d8}", "+33 6 {d2} {d2} {d2} {d2}",
                   "+91 98{d3} {d5}", "+61 4{d2} {d3} {d3}", "+55 11 9{d4}-{d4}")  # fmt: skip
_PERSONAL_KEY = re.compile(
    r"(?i)e_?mail|phone|mobile|card|address|street|iban|ship to|(?:^|_)ip(?:$|_)"
)
_FORM_FIELD = re.compile(r'"([^"\n]{1,40})" value="([^"\n]*)"')
_LABEL_LINE = re.compile(r'(?m)([A-Za-z][A-Za-z ]{1,30}): ([^"\n]+)')
_IBAN_BBAN = {"DE": "{d18}", "GB": "{L4}{d14}", "NL": "{L4}{d10}", "CH": "{d17}",
              "AT": "{d16}", "PL": "{d24}", "FR": "{d23}", "SE": "{d20}"}  # fmt: skip


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _chars(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _fill(rng: random.Random, shape: str) -> str:
    """``shape`` with ``{dN}`` as N random digits and ``{LN}`` as N capital letters."""
    out = shape
    while "{" in out:
        head, _, rest = out.partition("{")
        field, _, tail = rest.partition("}")
        n = int(field[1:])
        value = _digits(rng, n) if field[0] == "d" else _chars(rng, n, string.ascii_uppercase)
        out = head + value + tail
    return out


def _email(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}",
         f"{first}+{rng.choice(('shop', 'news', 'work'))}", f"{last}.{first}{rng.randint(1, 9)}")
    )  # fmt: skip
    address = f"{local}@{rng.choice(_MAIL_DOMAINS)}"
    return address.title() if rng.random() < 0.1 else address


def _phone(rng: random.Random) -> str:
    while True:
        if rng.random() < 0.6:
            area = rng.choice(_US_AREAS)
            exchange = f"{rng.randint(2, 9)}{_digits(rng, 2)}"
            text = rng.choice(_PHONE_SHAPES).format(a=area, b=exchange, c=_digits(rng, 4))
        else:
            text = _fill(rng, rng.choice(_FOREIGN_PHONES))
        number = phonenumbers.parse(text, "US")
        if phonenumbers.is_valid_number(number) and "555" not in text:
            return text


def _card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        (("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
         ("6011", 16), ("65", 16), ("3530", 16), ("4", 13))
    )  # fmt: skip
    body = prefix + _digits(rng, length - len(prefix) - 1)
    number = body + luhn.calc_check_digit(body)
    groups = (
        (4, 6, 5) if length == 15 else (4,) * (length // 4) + ((length % 4,) if length % 4 else ())
    )
    parts, at = [], 0
    for size in groups:
        parts.append(number[at : at + size])
        at += size
    return rng.choice((number, " ".join(parts), "-".join(parts)))


def _iban(rng: random.Random) -> str:
    while True:
        country = rng.choice(sorted(_IBAN_BBAN))
        bban = _fill(rng, _IBAN_BBAN[country])
        number = country + iban.calc_check_digits(country + "00" + bban) + bban
        if iban.is_valid(number):
            grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            return rng.choice((number, grouped))


def _ip(rng: random.Random) -> str:
    while True:
        if rng.random() < 0.65:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(
                rng.getrandbits(32)
            )
        else:
            address = ipaddress.IPv6Address((0x2001 << 112) + (rng.getrandbits(100) << 16) + 1)
        if address.is_global and not address.is_multicast and not address.is_reserved:
            return rng.choice((address.compressed, address.exploded))


def _address(rng: random.Random) -> str:
    number = f"{rng.randint(1, 9899)}{rng.choice(('', '', '', 'B'))}"
    street = f"{number} {rng.choice(_STREETS)} {rng.choice(_STREET_TYPES)}"
    if rng.random() < 0.3:
        town, postcode = rng.choice(_UK_TOWNS)
        inward = f"{rng.randint(1, 9)}{_chars(rng, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"
        return f"{street}, {town} {postcode} {inward}"
    town, state, zip3 = rng.choice(_US_TOWNS)
    unit = rng.choice(
        (
            "",
            "",
            f", Apt {rng.randint(1, 40)}{rng.choice('ABC')}",
            f" Suite {rng.randint(100, 900)}",
        )
    )
    return rng.choice(
        (f"{street}{unit}, {town}, {state} {zip3}{_digits(rng, 2)}", f"{street}{unit}")
    )


_PROVIDERS: Final[tuple[tuple[str, Callable[[random.Random], str]], ...]] = (
    ("openai", lambda r: f"sk-proj-{_chars(r, 74, _TOKEN)}{_chars(r, 20)}T3BlbkFJ{_chars(r, 74)}"),
    ("openai", lambda r: f"sk-{_chars(r, 20)}T3BlbkFJ{_chars(r, 20)}"),
    ("anthropic", lambda r: f"sk-ant-api03-{_chars(r, 93, _TOKEN)}AA"),
    ("aws", lambda r: f"AKIA{_chars(r, 16, string.ascii_uppercase + string.digits)}"),
    ("aws-secret", lambda r: _chars(r, 40, _B64)),
    ("github", lambda r: f"{r.choice(('ghp', 'gho', 'ghs'))}_{_chars(r, 36)}"),
    ("github", lambda r: f"github_pat_{_chars(r, 22)}_{_chars(r, 59)}"),
    ("gitlab", lambda r: f"glpat-{_chars(r, 20, _TOKEN)}"),
    ("slack", lambda r: f"xoxb-{_digits(r, 12)}-{_digits(r, 13)}-{_chars(r, 24)}"),
    ("slack", lambda r: f"{_SLACK_HOOKS}/T{_chars(r, 10)}/B{_chars(r, 10)}/{_chars(r, 24)}"),
    ("stripe", lambda r: f"{r.choice(('sk', 'rk'))}_live_{_chars(r, r.choice((24, 99)))}"),
    ("google", lambda r: f"AIza{_chars(r, 35, _TOKEN)}"),
    ("sendgrid", lambda r: f"SG.{_chars(r, 22, _TOKEN)}.{_chars(r, 43, _TOKEN)}"),
    ("huggingface", lambda r: f"hf_{_chars(r, 34)}"),
)  # fmt: skip
# a secret that is only recognisable by the name it is given
_NAMED: Final = {"aws-secret": "aws_secret_access_key"}


def _jwt(rng: random.Random) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    alg = rng.choice(("HS256", "RS256"))
    claims = {"sub": _digits(rng, 10), "name": rng.choice(_FIRST).title(), "iat": 1716239022}
    signature = _chars(rng, 43 if alg == "HS256" else 342, _TOKEN)
    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}.{signature}"


def _private_key(rng: random.Random) -> str:
    label = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    lines = [_chars(rng, 64, _B64) for _ in range(rng.randint(4, 20))]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


_MAKERS: Final[dict[str, Callable[[random.Random], str]]] = {
    "email": _email,
    "phone": _phone,
    "card": _card,
    "iban": _iban,
    "ip": _ip,
    "address": _address,
    "jwt": _jwt,
    "private_key": _private_key,
}
_FIELDS: Final = {
    "email": ("email", "contact", "reply_to", "owner_email"),
    "phone": ("phone", "mobile", "callback_number", "contact_phone"),
    "card": ("card_number", "pan", "payment_card"),
    "iban": ("iban", "payout_account", "bank_account"),
    "ip": ("client_ip", "remote_addr", "source_ip", "last_login_ip"),
    "address": ("shipping_address", "address", "billing_street"),
    "api_key": ("api_key", "token", "credentials", "auth"),
    "jwt": ("session_token", "id_token", "authorization"),
    "private_key": ("private_key", "ssh_key", "tls_key"),
}
_LINES: Final = (
    "Note from the customer: you can reach me at {v}, thanks.",
    "2025-03-02 14:11:09 WARN request rejected for {v} (rate limit)",
    "{f}={v}",
    "{f}: {v}",
    "Please update my records with {v} before Friday.",
    "Authorization: Bearer {v}",
    "debug: loaded {f} '{v}' from environment",
)


@dataclass(frozen=True)
class Canary:
    """A planted value: its kind, its text, and (for API keys) its provider."""

    kind: str
    value: str
    provider: str = ""
    name: str = ""  # the key it must be written under to be recognisable (an AWS secret key)

    @property
    def label(self) -> str:
        """The kind, and the provider of an API key (``api_key/stripe``)."""
        return f"{self.kind}/{self.provider}" if self.provider else self.kind


def canary(kind: str, rng: random.Random) -> Canary:
    """A realistic value of ``kind`` (one of :data:`trajforge.curate.finding.KINDS`)."""
    if kind == "api_key":
        provider, make = rng.choice(_PROVIDERS)
        return Canary(kind, make(rng), provider, _NAMED.get(provider, ""))
    return Canary(kind, _MAKERS[kind](rng))


@dataclass(frozen=True)
class Planted:
    """A tool result's content with a value written into it, and where: ``content[start:end]``
    is the value as written there (JSON-escaped inside a JSON document)."""

    content: str
    start: int
    end: int


def plant(content: str, item: Canary, rng: random.Random) -> Planted:
    """``item`` written into a tool result's ``content``: a new field of a JSON object in it,
    else a new line of text (between its lines or at the end)."""
    value = item.value
    field = item.name or rng.choice(_FIELDS[item.kind])
    document = _json(content)
    target = _object_in(document, rng)
    if target is not None:
        target[field] = value
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        written = json.dumps(value, ensure_ascii=False)[1:-1]
        start = text.index(f'"{field}":"{written}"') + len(field) + 4
        return Planted(text, start, start + len(written))
    lines = content.split("\n")
    at = rng.randint(0, len(lines))
    template = "{f} = {v}" if item.name else rng.choice(_LINES)
    line = template.format(f=field, v=value)
    lines.insert(at, line)
    start = sum(len(x) + 1 for x in lines[:at]) + line.index(value)
    return Planted("\n".join(lines), start, start + len(value))


def _json(content: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _object_in(document: Any, rng: random.Random) -> dict[str, Any] | None:
    if isinstance(document, dict):
        return document
    if isinstance(document, list):
        objects = [item for item in document if isinstance(item, dict)]
        return rng.choice(objects) if objects else None
    return None


def personal_data(trajectory: Trajectory) -> list[str]:
    """The personal data an environment's world holds, as it shows in a trajectory: every
    string of ``task.hidden_info`` (what the simulated user knows of themselves), and the
    strings under keys that name personal data (``email``, ``phone``, ``card_number``,
    ``shipping_address``...) in the task's parameters, the tool-call arguments and the JSON tool
    results. Lower-cased."""
    found = list(_strings(trajectory.task.hidden_info, named=False))
    documents: list[Any] = [trajectory.task.parameters]
    for step in trajectory.steps:
        documents += [a.arguments for a in step.actions if isinstance(a, ToolCall)]
        for result in step.observations:
            if isinstance(result, ToolResult):
                documents.append(_json(result.content))
                found += _labelled(result.content)
    for document in documents:
        found += _strings(document, named=True)
    return [s.lower() for s in found]


def _labelled(text: str) -> list[str]:
    """The values of a page's form fields and ``Label: value`` lines whose label names
    personal data (``textbox "Street address" value="261 Elm Court"``, ``Ship to: ...``)."""
    pairs = _FORM_FIELD.findall(text) + _LABEL_LINE.findall(text)
    return [value for label, value in pairs if _PERSONAL_KEY.search(label)]


def _strings(value: Any, *, named: bool) -> Iterator[str]:
    """The strings in a JSON value (``named``: only those under a personal-data key)."""
    if isinstance(value, str) and not named:
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            personal = not named or _PERSONAL_KEY.search(key) is not None
            yield from _strings(item, named=not personal)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, named=named)


def generated(per_env: int, *, seed: int = 0) -> list[Trajectory]:
    """``per_env`` expert episodes of each built-in environment, 20% of the decisions mistaken
    and recovered, with flaky tools: trajforge's own data, free of planted values."""
    out = []
    for env in ENVIRONMENTS:
        cls = ENVIRONMENT_CLASSES[env]
        expert = _mistaken_expert(env)
        for i, task in enumerate(cls.sample_tasks(per_env, seed=seed)):
            out.append(
                generate_episode(
                    cls, expert, task, trajectory_id=f"{env}-{i}", seed=seed + i, faults="flaky"
                )
            )
    return out


def _mistaken_expert(env: str) -> PolicyFactory:
    make = with_mistakes(expert_for(env), rate=0.2, recover=True)

    def factory(task: Task, tools: list[ToolSpec], seed: int) -> Policy:
        return make(task, tools, seed)

    return factory


def tool_results(trajectory: Trajectory) -> list[ToolResult]:
    """The trajectory's tool results, in order (the carriers of planted values)."""
    return [o for step in trajectory.steps for o in step.observations if isinstance(o, ToolResult)]


@dataclass(frozen=True)
class Sample:
    """One planted value and the tool result it was written into."""

    item: Canary
    planted: Planted


def planted_set(carriers: Sequence[Trajectory], per_kind: int, *, seed: int = 0) -> list[Sample]:
    """``per_kind`` values of every kind, each written into a tool result drawn from
    ``carriers``."""
    rng = random.Random(seed)
    contents = [result.content for t in carriers for result in tool_results(t)]
    samples = []
    for kind in KINDS:
        for _ in range(per_kind):
            item = canary(kind, rng)
            samples.append(Sample(item, plant(rng.choice(contents), item, rng)))
    return samples


def recall(find: Callable[[str], Iterable[Finding]], samples: Iterable[Sample]) -> Counts:
    """Found and planted counts by label (kind, and provider for API keys): a value is found
    when one finding of its kind covers all of it."""
    counts: Counts = {}
    for sample in samples:
        planted, kind = sample.planted, sample.item.kind
        hit = any(
            f.kind == kind and f.start <= planted.start and f.end >= planted.end
            for f in find(planted.content)
        )
        found, total = counts.get(sample.item.label, (0, 0))
        counts[sample.item.label] = (found + hit, total + 1)
    return counts


def by_kind(counts: Counts) -> Counts:
    """Counts by label summed by kind."""
    out: Counts = {}
    for label, (found, total) in counts.items():
        kind = label.split("/", 1)[0]
        have = out.get(kind, (0, 0))
        out[kind] = (have[0] + found, have[1] + total)
    return out


def foreign_values(trajectory: Trajectory, placeholders: Placeholders) -> list[tuple[str, str]]:
    """The (kind, key) of the values redacted in ``trajectory`` that are not personal data of
    its environment's world (:func:`personal_data`): false positives, on data with nothing
    planted."""
    own = personal_data(trajectory)
    own_digits = ["".join(c for c in s if c.isdigit()) for s in own]
    foreign = []
    for kind, key in placeholders.given:
        digits = "".join(c for c in key if c.isdigit())
        if kind in ("card", "phone") and any(digits.endswith(d) for d in own_digits if len(d) > 6):
            continue
        if any(key in s for s in own):
            continue
        foreign.append((kind, key))
    return foreign
