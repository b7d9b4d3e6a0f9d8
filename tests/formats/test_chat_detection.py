"""``--from auto`` on the real samples: each chat format recognises its own records and nobody
else's (every sample of tests/fixtures is tried)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.formats.samples import FIXTURES
from tests.formats.test_xlam import GIVEAWAYS, SPLIT
from trajforge.formats.detect import detect_format
from trajforge.formats.registry import get_format
from trajforge.io.documents import iter_records, suffix_of

CHAT = ("openai", "sharegpt", "hermes", "xlam")
OWNER = {"openai_chat": "openai", "sharegpt_llamafactory": "sharegpt", "hermes": "hermes"}
SAMPLES = sorted(path for path in FIXTURES.rglob("*") if suffix_of(path) is not None)


def _claims(records: list[object]) -> dict[str, int]:
    """How many of ``records`` each chat format recognises."""
    claims = {}
    for name in CHAT:
        detect = get_format(name).detect
        assert detect is not None
        claims[name] = sum(bool(detect(record)) for record in records)
    return claims


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_chat_formats_claim_only_their_own_samples(path: Path) -> None:
    records = [record.data for record in itertools.islice(iter_records(path), 20)]
    owner = OWNER.get(path.parent.name)
    claims = _claims(records)
    assert {name for name, count in claims.items() if count} == ({owner} if owner else set())
    if owner:
        assert detect_format(str(path)).format.name == owner


def test_xlam_records_are_only_xlam() -> None:
    assert _claims([SPLIT, GIVEAWAYS]) == {"openai": 0, "sharegpt": 0, "hermes": 0, "xlam": 2}
