"""The personal-data detectors: what each finds, its key, and the look-alikes it leaves."""

from __future__ import annotations

import pytest

from trajforge.curate.pii import PII_DETECTORS, RESERVED


def found(kind: str, text: str) -> list[tuple[str, str]]:
    """(text found, key) of each finding of ``kind`` in ``text``."""
    return [(text[f.start : f.end], f.key) for f in PII_DETECTORS[kind](text)]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "email",
            "mail Bob.Smith@Acme-Corp.co.uk now",
            [("Bob.Smith@Acme-Corp.co.uk", "bob.smith@acme-corp.co.uk")],
        ),
        (
            "email",
            '{"to":"maria+shop@proton.me"}',
            [("maria+shop@proton.me", "maria+shop@proton.me")],
        ),
        ("phone", "call (415) 867-5309 today", [("(415) 867-5309", "+14158675309")]),
        ("phone", "or +1-415-867-5309.", [("+1-415-867-5309", "+14158675309")]),
        ("phone", "mobile: +44 7911 123456", [("+44 7911 123456", "+447911123456")]),
        ("phone", '"phone":"+49 30 70190743"', [("+49 30 70190743", "+493070190743")]),
        ("card", "card 4111 1111 1111 1111 ok", [("4111 1111 1111 1111", "4111111111111111")]),
        ("card", "amex 3782-822463-10005", [("3782-822463-10005", "378282246310005")]),
        (
            "iban",
            "IBAN DE89 3704 0044 0532 0130 00 EUR",
            [("DE89 3704 0044 0532 0130 00", "DE89370400440532013000")],
        ),
        (
            "iban",
            "to GB82WEST12345698765432.",
            [("GB82WEST12345698765432", "GB82WEST12345698765432")],
        ),
        ("ip", "from 52.14.88.201:443 and", [("52.14.88.201", "52.14.88.201")]),
        (
            "ip",
            "v6 2a03:2880:f003:0c07:face:b00c:0000:0002 up",
            [("2a03:2880:f003:0c07:face:b00c:0000:0002", "2a03:2880:f003:c07:face:b00c:0:2")],
        ),
        (
            "address",
            "Ship to: Lena Garcia, 964 River Road, Cambridge, MA 02139.",
            [("964 River Road, Cambridge, MA 02139", "964 river road")],
        ),
        (
            "address",
            "at 221B Baker Street, London NW1 6XE",
            [("221B Baker Street, London NW1 6XE", "221b baker street")],
        ),
        (
            "address",
            "1600 Pennsylvania Ave NW, Washington, DC 20500",
            [("1600 Pennsylvania Ave NW, Washington, DC 20500", "1600 pennsylvania ave nw")],
        ),
    ],
)
def test_finds_the_value_and_its_key(kind: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(kind, text) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("email", "user@localhost and @handle and a@b"),
        ("phone", "on 2025-01-14 at 12:30, size 21453361644, id 4158675309, host 10.1.4.22"),
        ("phone", "(555) 016-6360 has no such area code"),
        ("card", "4111 1111 1111 1112 fails the Luhn check; 8585599633655 is a seed"),
        ("card", "order 1234567812345670 has no issuer prefix"),
        ("iban", "DE88 3704 0044 0532 0130 00 has a wrong check"),
        ("ip", "0.0.0.0 and 127.0.0.1 and ::1 and 255.255.255.0 and 999.1.1.1 and 12:30:45"),
        ("address", "Step 3 Place the order; retry 2 times"),
    ],
)
def test_leaves_look_alikes(kind: str, text: str) -> None:
    assert found(kind, text) == []


def test_values_reserved_for_documentation_and_fiction() -> None:
    assert RESERVED["email"]("ana@northwind.example")
    assert RESERVED["email"]("x@mail.example.com")
    assert not RESERVED["email"]("felix@post.example.io")
    assert RESERVED["phone"]("+18005550150")
    assert not RESERVED["phone"]("+12185550058")
    assert RESERVED["ip"]("10.1.4.22")
    assert RESERVED["ip"]("203.0.113.5")
    assert not RESERVED["ip"]("52.14.88.201")
