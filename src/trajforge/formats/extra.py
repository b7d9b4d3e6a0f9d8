"""Source keys a format cannot map, kept in ``provenance.extra`` by where they were, and put back
when the trajectory is exported to the same format.

``extra`` maps a path in the source record (``messages[8]``, ``tools[0].function``, ``$`` for
the top level) to an object of the keys found there. Besides keys no field holds, an importer
may keep a mapped value's exact source text when its own rendering of what it imported would
spell it differently (Python literals, other spacing): :func:`source_text` gives that text back
while it still says the same as the trajectory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from trajforge.errors import TrajforgeError

ROOT: Final = "$"
_STEP: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_unknown(
    obj: Mapping[str, Any], known: Collection[str], path: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """``obj`` without its keys not in ``known``; those are kept in ``extra[path]``."""
    kept = {key: value for key, value in obj.items() if key in known}
    if len(kept) < len(obj):
        extra.setdefault(path, {}).update((k, v) for k, v in obj.items() if k not in known)
    return kept


def keep(extra: dict[str, Any], path: str, key: str, value: Any) -> None:
    """Keep ``value`` as the key ``key`` of the object at ``path``."""
    extra.setdefault(path, {})[key] = value


def put_back(
    record: dict[str, Any], extra: Mapping[str, Any], *, mapped: Collection[str] = ()
) -> dict[str, Any]:
    """``record`` with the kept keys added where their path still leads to an object and the
    key is not there already; top-level keys in ``mapped`` (the format's own keys, whose source
    text the exporter chose to use or not) are left out."""
    for path, keys in extra.items():
        target = _resolve(record, path)
        if not isinstance(target, dict) or not isinstance(keys, dict):
            continue  # the trajectory changed shape since the import
        for key, value in keys.items():
            if not (path == ROOT and key in mapped):
                target.setdefault(key, value)
    return record


def _resolve(record: Any, path: str) -> Any:
    """The value at ``path`` (``a[2].b``) in ``record``, or None where it leads nowhere."""
    if path == ROOT:
        return record
    target = record
    for key, index in _STEP.findall(path):
        if index:
            fits = isinstance(target, list) and int(index) < len(target)
            target = target[int(index)] if fits else None
        else:
            target = target.get(key) if isinstance(target, dict) else None
        if target is None:
            return None
    return target


def keep_source_text(
    extra: dict[str, Any], path: str, key: str, source: Any, rendered: Any
) -> None:
    """On import: keep the source's value of a mapped key where the rendering differs."""
    if source != rendered:
        keep(extra, path, key, source)


def source_text(
    extra: Mapping[str, Any],
    path: str,
    key: str,
    rendered: Any,
    parse: Callable[[Any], object],
    current: object = None,
) -> Any:
    """On export: the source's own value kept at ``path``/``key`` where it still says what the
    trajectory does (it reads, with ``parse``, as ``rendered`` does or as ``current``, the
    trajectory's own part where the rendering drops a spelling the kept text has), else
    ``rendered``."""
    kept = extra[path].get(key) if isinstance(extra.get(path), dict) else None
    if kept is None or kept == rendered:
        return rendered
    try:
        read = parse(kept)
        same = read == parse(rendered) or (current is not None and read == current)
    except (TrajforgeError, ValueError, TypeError, AttributeError):
        return rendered
    return kept if same else rendered
