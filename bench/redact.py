"""Redaction benchmark: recall per kind on planted values, false positives on clean data, speed.

Run: ``.venv/bin/python bench/redact.py``. The carriers are trajforge's own trajectories of the
five built-in environments (expert episodes, 20% mistakes recovered, flaky tools). Recall:
``--per-kind`` values of every kind (API keys of 13 providers' shapes) are each written into a
tool result drawn from them (a JSON field or a line of text: ``trajforge.testing.planted``); a
value is found when one finding of its kind covers it whole. False positives: the share of clean
trajectories in which something was redacted that is not personal data of the environment's
world (the simulated user's hidden information, fields named email/phone/card/address... in
arguments and results). Targets (issue 16): recall >= 0.98 per kind, false positives <= 0.5%
of records.

The same measurement runs for other detectors where they are installed, to show the choice per
kind: Presidio's pattern recognizers (phone numbers through ``phonenumbers``' matcher, cards,
IBANs, IPs; its e-mail recognizer is left out: it fetches the public suffix list at run time),
``pyap`` for street addresses, and ``detect-secrets``' plugins alone for API keys (without
trajforge's patterns for the providers and formats it lacks, and without widening its matches to
the whole token). Speed: redacting the clean trajectories, interleaved with the baseline of
converting them to Python objects and back (the round trip redaction needs), CPU time.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import msgspec
import phonenumbers

from trajforge.curate.finding import KINDS, Detector, Finding
from trajforge.curate.redaction import Redactor
from trajforge.schema import Trajectory
from trajforge.testing.planted import (
    Sample,
    by_kind,
    foreign_values,
    generated,
    planted_set,
    recall,
)

sys.path.insert(0, str(Path(__file__).parent))
from timing import header, interleaved, legend, row

RECALL_TARGET = 0.98
FALSE_POSITIVE_TARGET = 0.005


def flagged(redactor: Redactor, trajectories: Sequence[Trajectory]) -> list[str]:
    """Ids of the trajectories with a false positive."""
    return [t.id for t in trajectories if foreign_values(t, redactor.trajectory(t)[1])]


def presidio(entity: str, kind: str) -> Detector | None:
    """A Presidio pattern recognizer as a detector (None when Presidio is not installed)."""
    if importlib.util.find_spec("presidio_analyzer") is None:
        return None
    from presidio_analyzer import predefined_recognizers as found  # noqa: PLC0415

    recognizer = {
        "PHONE_NUMBER": found.PhoneRecognizer,
        "CREDIT_CARD": found.CreditCardRecognizer,
        "IBAN_CODE": found.IbanRecognizer,
        "IP_ADDRESS": found.IpRecognizer,
    }[entity]()

    def detect(text: str) -> Iterator[Finding]:
        for r in recognizer.analyze(text, [entity], None):
            yield Finding(kind, r.start, r.end, _key(kind, text[r.start : r.end]))

    return detect


def _key(kind: str, value: str) -> str:
    """The key trajforge's detector of ``kind`` gives ``value`` (the reserved values are judged
    on it)."""
    if kind == "ip":
        return value
    if kind == "phone":
        number = phonenumbers.parse(value, "US")
        return f"+{number.country_code}{number.national_number}"
    return re.sub(r"\W", "", value).upper()


def pyap_addresses() -> Detector | None:
    """``pyap``'s US, Canadian and British address parsers as a detector."""
    if importlib.util.find_spec("pyap") is None:
        return None
    import pyap  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: PLC0415

    def detect(text: str) -> Iterator[Finding]:
        for country in ("US", "CA", "GB"):
            for a in pyap.parse(text, country=country):
                yield Finding("address", a.match_start, a.match_end, a.full_address.lower())

    return detect


def detect_secrets_alone() -> Detector:
    """``detect-secrets``' provider plugins alone, their matches as they are."""
    from detect_secrets.plugins.base import RegexBasedDetector  # noqa: PLC0415

    from trajforge.curate import secrets  # noqa: PLC0415

    plugins: list[RegexBasedDetector] = [p() for p in secrets.PLUGINS]

    def detect(text: str) -> Iterator[Finding]:
        for plugin in plugins:
            for pattern in plugin.denylist:
                for m in pattern.finditer(text):
                    start, end = secrets.secret_span(m)
                    yield Finding("api_key", start, end, text[start:end])

    return detect


def candidates() -> list[tuple[str, str, Detector | None]]:
    """(kind, name, detector) of every detector measured; trajforge's own is ``None``."""
    out: list[tuple[str, str, Detector | None]] = [(kind, "trajforge", None) for kind in KINDS]
    out += [
        ("phone", "presidio PhoneRecognizer", presidio("PHONE_NUMBER", "phone")),
        ("card", "presidio CreditCardRecognizer", presidio("CREDIT_CARD", "card")),
        ("iban", "presidio IbanRecognizer", presidio("IBAN_CODE", "iban")),
        ("ip", "presidio IpRecognizer", presidio("IP_ADDRESS", "ip")),
        ("address", "pyap", pyap_addresses()),
        ("api_key", "detect-secrets alone", detect_secrets_alone()),
    ]
    return sorted(out, key=lambda c: KINDS.index(c[0]))


def measure(
    samples: list[Sample], clean: list[Trajectory]
) -> list[tuple[str, str, float | None, int, float | None]]:
    """(kind, detector, recall, planted, false-positive share) per candidate (None: not
    installed)."""
    rows: list[tuple[str, str, float | None, int, float | None]] = []
    for kind, name, detector in candidates():
        mine = [s for s in samples if s.item.kind == kind]
        if name != "trajforge" and detector is None:
            rows.append((kind, f"{name} (not installed)", None, len(mine), None))
            continue
        redactor = Redactor((kind,), detectors={kind: detector} if detector else None)
        found, total = by_kind(recall(redactor.find, mine))[kind]
        rows.append((kind, name, found / total, total, len(flagged(redactor, clean)) / len(clean)))
    return rows


def print_quality(samples: list[Sample], clean: list[Trajectory]) -> bool:
    """Print recall and false positives per kind and detector; whether trajforge's meet the
    targets."""
    print(f"{len(samples):,} planted values, {len(clean):,} clean trajectories (5 environments)")
    print(f"{'kind':<12} {'detector':<34} {'recall':>8} {'planted':>8} {'FP records':>11}")
    ok = True
    for kind, name, found, total, false in measure(samples, clean):
        cells = "" if found is None else f"{found:>8.4f} {total:>8,} {false:>11.2%}"
        print(f"{kind:<12} {name:<34} {cells}")
        if name == "trajforge" and found is not None:
            ok &= found >= RECALL_TARGET
    by_label = recall(Redactor(KINDS).find, [s for s in samples if s.item.kind == "api_key"])
    print("API keys by provider (trajforge): " + ", ".join(
        f"{label.split('/')[1]} {f}/{t}" for label, (f, t) in sorted(by_label.items())
    ))  # fmt: skip
    every = flagged(Redactor(KINDS), clean)
    share = len(every) / len(clean)
    ok &= share <= FALSE_POSITIVE_TARGET
    examples = f": {every[:5]}" if every else ""
    print(f"all kinds together: false positives in {len(every)} of {len(clean):,} records "
          f"({share:.2%}; target <= {FALSE_POSITIVE_TARGET:.1%}){examples}")  # fmt: skip
    return ok


def print_speed(clean: list[Trajectory], repeats: int) -> None:
    """Print the time to redact the clean trajectories against converting them there and back."""
    size = sum(len(msgspec.json.encode(t)) for t in clean) / len(clean)

    def redact() -> None:
        redactor = Redactor(KINDS)
        for trajectory in clean:
            redactor.trajectory(trajectory)

    def round_trip() -> None:
        for trajectory in clean:
            msgspec.convert(msgspec.to_builtins(trajectory), Trajectory)

    cases: dict[str, Callable[[], object]] = {"round trip": round_trip, "redact": redact}
    timings = interleaved(cases, repeats)
    per = {name: t.per(len(clean)) for name, t in timings.items()}
    print(f"\nspeed, {len(clean):,} trajectories of {size / 1000:.1f} kB on average")
    print(header("case (per trajectory)", ["vs round trip"], rate="traj/s"))
    print(row("to Python objects and back (baseline)", per["round trip"], rate="traj/s"))
    print(row("redact, every kind", per["redact"], [per["round trip"]], rate="traj/s"))
    print(legend(timings))


def main() -> None:
    """Measure and print; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-env", type=int, default=200, help="clean trajectories per env")
    parser.add_argument("--per-kind", type=int, default=1000, help="planted values per kind")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    clean = generated(args.per_env, seed=2026)
    samples = planted_set(clean, args.per_kind, seed=2026)
    ok = print_quality(samples, clean)
    print_speed(clean, args.repeats)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
