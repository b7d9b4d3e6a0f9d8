"""The registered formats, and the reader or writer a ``--from``/``--to`` option names."""

from __future__ import annotations

from typing import Any, Literal

from trajforge.errors import ConfigError
from trajforge.formats.base import Format, Reader, Writer
from trajforge.pipeline.registry import Registry


def _check(obj: Any) -> Format:
    if not isinstance(obj, Format):
        raise TypeError(f"expected a trajforge.formats.base.Format, got {type(obj).__name__}")
    if obj.read is None and obj.write is None:
        raise ValueError("a format needs a reader or a writer")
    if obj.detect is not None and obj.read is None:
        raise ValueError("a format that detects its records needs a reader")
    return obj


FORMATS: Registry[Format] = Registry(
    "format",
    "trajforge.formats",
    {
        "trajforge": "trajforge.formats.native:FORMAT",
        "openai": "trajforge.formats.openai_files:FORMAT",
        "tau-bench": "trajforge.formats.tau_bench:FORMAT",
        "tau2-bench": "trajforge.formats.tau2_bench:FORMAT",
        "sharegpt": "trajforge.formats.sharegpt:FORMAT",
        "hermes": "trajforge.formats.hermes:FORMAT",
        "xlam": "trajforge.formats.xlam:FORMAT",
        "toolbench": "trajforge.formats.toolbench:FORMAT",
        "bfcl": "trajforge.formats.bfcl:FORMAT",
        "adp": "trajforge.formats.adp:FORMAT",
        "atif": "trajforge.formats.atif:FORMAT",
        "otel": "trajforge.formats.otel:FORMAT",
        "inspect-ai": "trajforge.formats.inspect_logs:FORMAT",
        "auto": "trajforge.formats.detect:FORMAT",
        "tokenized": "trajforge.formats.tokenized:FORMAT",
        "openai-ft": "trajforge.formats.openai_ft:FORMAT",
        "trl-sft": "trajforge.formats.trl_sft:FORMAT",
        "dpo": "trajforge.formats.dpo:FORMAT",
        "prm": "trajforge.formats.prm:FORMAT",
        "kto": "trajforge.formats.kto:FORMAT",
    },
    check=_check,
)


def get_reader(name: str, *, option: str = "--from") -> Reader:
    """The reader of the format ``name``; a ConfigError (located at ``option``) names the
    formats that can be read when it is unknown or has none."""
    read = get_format(name, option=option).read
    if read is None:
        raise _lacking(name, option, "read")
    return read


def get_writer(name: str, *, option: str = "--to") -> Writer:
    """The writer of the format ``name``, like :func:`get_reader`."""
    write = get_format(name, option=option).write
    if write is None:
        raise _lacking(name, option, "write")
    return write


def get_format(name: str, *, option: str = "--from") -> Format:
    """The format ``name``; a ConfigError located at ``option`` names the registered ones."""
    try:
        return FORMATS.get(name)
    except ConfigError as exc:
        exc.path = exc.path or option
        raise


def _lacking(name: str, option: str, side: Literal["read", "write"]) -> ConfigError:
    """The error for a format without a reader (``side`` "read") or a writer ("write")."""
    done, doer = ("read", "reader") if side == "read" else ("written", "writer")
    able = [n for n, fmt in FORMATS.load_all()[0].items() if getattr(fmt, side) is not None]
    return ConfigError(
        f"the {name} format cannot be {done} (it has no {doer})",
        path=option,
        hint=f"formats that can be {done}: {', '.join(able)}",
    )
