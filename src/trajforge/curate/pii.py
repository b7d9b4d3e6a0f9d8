"""Detectors of personal data: e-mail addresses, phone numbers, card numbers, IBANs, IP
addresses and street addresses.

Candidates are found by pattern and kept only when they check out: card numbers by the Luhn
digit and an issuer prefix, IBANs by their country's length and the mod-97 check
(``python-stdnum``), phone numbers by Google's numbering plan data (``phonenumbers``), IP
addresses by :mod:`ipaddress`. ``RESERVED`` tells the values set aside for documentation and
fiction (``.example`` domains, 555-01xx numbers) and the IP ranges set aside for special
purposes (private networks, documentation), which name no one; the redaction keeps them unless
told otherwise.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Final

import phonenumbers
from stdnum import iban, luhn

from trajforge.curate.finding import Detector, Finding

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
# a formatted number: a "+" prefix, or digit groups with separators (a bare run of digits is
# as likely an id, a size or a timestamp)
_PHONE = re.compile(
    r"(?<![\w.+/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,10}){1,5}(?![\w-])"
    r"|(?<![\w+])\+\d{8,15}(?!\w)"
)
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_CARD = re.compile(r"(?<![\w.-])[2-6]\d{3}(?:[ -]?\d{1,7}){2,5}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,9}(?![A-Za-z0-9])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3}|:)?(?![\w:])"
)
_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|"
    "Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Crescent|Close|Row|"
    "Mews|Gardens|Grove|Hill"
)
_ADDRESS = re.compile(
    r"(?<![\w.,-])\d{1,6}[A-Z]?(?: (?:[NSEW]\.?|North|South|East|West))?"
    r"(?: (?:[A-Z][a-z'’]+|\d+(?:st|nd|rd|th))){1,4}"
    rf" (?:{_STREET_TYPES})(?: (?:NW|NE|SW|SE|N|S|E|W))?(?![\w-])"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.? ?[\w-]{1,6})?"
    r"(?:, [A-Z][a-z]+(?: [A-Z][a-z]+){0,2})?"
    r"(?:,? (?:[A-Z]{2} \d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}))?"
)
# card issuers: Visa, Mastercard, American Express, Discover, Diners, JCB, UnionPay, Maestro
_ISSUER = re.compile(r"4|5[1-5]|2[2-7]|3[47]|3[068]|35|6(?:011|4[4-9]|5|2)|5[06-9]|6")
_UNNAMED = frozenset({"is_unspecified", "is_loopback", "is_multicast", "is_reserved"})
_RESERVED_DOMAINS = ("example", "test", "invalid", "localhost")
_RESERVED_HOSTS = ("example.com", "example.net", "example.org")


def find_emails(text: str) -> Iterator[Finding]:
    """E-mail addresses (key: lower-cased)."""
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding("email", m.start(), m.end(), m.group().lower())


def find_phones(text: str) -> Iterator[Finding]:
    """Phone numbers written with a ``+`` country code or in digit groups, valid in their
    country's numbering plan (national ones read as North American); key: ``+`` and digits."""
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if not 7 <= digits <= 15 or _DOTTED_QUAD.fullmatch(m.group()):
            continue
        try:
            number = phonenumbers.parse(m.group(), "US")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            key = f"+{number.country_code}{number.national_number}"
            yield Finding("phone", m.start(), m.end(), key)


def find_cards(text: str) -> Iterator[Finding]:
    """Payment card numbers: 13 to 19 digits (spaces or dashes between groups) with a known
    issuer prefix and a valid Luhn check digit; key: the digits."""
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if 13 <= len(digits) <= 19 and _ISSUER.match(digits) and luhn.is_valid(digits):
            yield Finding("card", m.start(), m.end(), digits)


def find_ibans(text: str) -> Iterator[Finding]:
    """IBANs, compact or in groups of four, with their country's length and a valid check;
    key: the compact form. A candidate that runs into the next word is shortened group by group
    until it checks out."""
    for m in _IBAN.finditer(text):
        groups = m.group().split(" ")
        for end in range(len(groups), 0, -1):
            compact = "".join(groups[:end])
            if len(compact) >= 15 and iban.is_valid(compact):
                span_end = m.start() + len(" ".join(groups[:end]))
                yield Finding("iban", m.start(), span_end, compact)
                break


def find_ips(text: str) -> Iterator[Finding]:
    """IPv4 and IPv6 addresses, except those that name no host (unspecified, loopback,
    multicast, reserved: ``0.0.0.0``, ``127.0.0.1``, ``::1``, netmasks); key: the compressed
    form."""
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                address = ipaddress.ip_address(m.group())
            except ValueError:
                continue
            if not any(getattr(address, flag) for flag in _UNNAMED):
                yield Finding("ip", m.start(), m.end(), address.compressed)


def find_addresses(text: str) -> Iterator[Finding]:
    """Street addresses in the US and UK style: a house number, a street name and its type
    (``964 River Road``, ``221B Baker Street``), with the unit, town and ZIP or postcode that
    follow; key: the street line, lower-cased."""
    for m in _ADDRESS.finditer(text):
        street = m.group().split(",", 1)[0]
        yield Finding("address", m.start(), m.end(), " ".join(street.lower().split()))


def _reserved_email(key: str) -> bool:
    domain = key.rsplit("@", 1)[-1]
    return domain.rsplit(".", 1)[-1] in _RESERVED_DOMAINS or any(
        domain == host or domain.endswith("." + host) for host in _RESERVED_HOSTS
    )


def _reserved_phone(key: str) -> bool:
    # North American 555-0100 to 555-0199 are set aside for fiction
    return key.startswith("+1") and key[5:10] == "55501"


def _reserved_ip(key: str) -> bool:
    # IANA's special-purpose ranges: private use, documentation, shared, link-local...
    return not ipaddress.ip_address(key).is_global


#: The detector of each kind of personal data.
PII_DETECTORS: Final[dict[str, Detector]] = {
    "email": find_emails,
    "phone": find_phones,
    "card": find_cards,
    "iban": find_ibans,
    "ip": find_ips,
    "address": find_addresses,
}

#: Whether a key (of its kind) is a value reserved for documentation or fiction.
RESERVED: Final[dict[str, Callable[[str], bool]]] = {
    "email": _reserved_email,
    "phone": _reserved_phone,
    "ip": _reserved_ip,
}
