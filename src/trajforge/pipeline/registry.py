"""One small generic registry for every kind of plugin, filled three ways and loaded lazily.

- **built-ins** are declared by import path (``{"support": "trajforge.envs.support:SPEC"}``): the
  module is imported on first use, so start-up stays cheap;
- **decorators** register objects of the caller's own code (``@RULES.register()``);
- **entry points** of outside packages (group ``trajforge.rules`` and so on) are discovered on
  first use. Their names are namespaced by distribution (``acme-graders/slow_tool``); a short name
  (``slow_tool``) finds it while no other entry has that short name.

A plugin that fails to load raises a :class:`PluginError` naming it, its origin and the cause;
the others keep working (``load_all`` collects such errors instead of raising).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from inspect import isroutine
from typing import Any, Generic, TypeVar

from trajforge.errors import ConfigError

T = TypeVar("T")
X = TypeVar("X")

#: What ``origin`` says of a built-in.
BUILTIN = "trajforge"


class PluginError(ConfigError):
    """A registered plugin could not be loaded, or is not of the registry's kind."""


@dataclass
class Entry:
    """One registered name: where it comes from, and its object once loaded."""

    name: str
    origin: str
    target: str | None = None  # "module:attribute", loaded on first use
    loader: Callable[[], Any] | None = field(default=None, repr=False)
    loaded: bool = False
    value: Any = field(default=None, repr=False)

    @property
    def short(self) -> str:
        """The name without its package namespace."""
        return self.name.rsplit("/", 1)[-1]


def import_target(target: str) -> Any:
    """The object a ``module:attribute`` (or ``module``) path names."""
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Named plugins of one kind (environments, rules, formats...).

    ``check`` turns a loaded object into the registry's kind or raises ``TypeError``/``ValueError``
    saying what was expected; it runs once per entry.
    """

    def __init__(
        self,
        kind: str,
        group: str,
        builtins: Mapping[str, str] | None = None,
        check: Callable[[Any], T] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self._check = check
        self._entries: dict[str, Entry] = {
            name: Entry(name, BUILTIN, target) for name, target in (builtins or {}).items()
        }
        self._discovered = False

    # -- filling ---------------------------------------------------------------------------------

    def register(self, name: str | None = None, *, origin: str | None = None) -> Callable[[X], X]:
        """A decorator registering its object under ``name`` (default: its ``name`` attribute,
        else its ``__name__``). Registering a taken name is an error."""

        def decorate(obj: X) -> X:
            self.add(name or _name_of(obj), obj, origin=origin)
            return obj

        return decorate

    def add(self, name: str, obj: Any, *, origin: str | None = None) -> None:
        """Register ``obj`` under ``name`` (checked now)."""
        if name in self._entries:
            raise ConfigError(
                f"{self.kind} {name!r} is registered already ({self._entries[name].origin})"
            )
        # an instance's __module__ is its class's: only a class or function names its module
        module = (
            getattr(obj, "__module__", None) if isinstance(obj, type) or isroutine(obj) else None
        )
        where = origin or f"registered by {module or 'code'}"
        entry = Entry(name, where)
        entry.value, entry.loaded = self._checked(entry, obj), True
        self._entries[name] = entry

    def add_lazy(self, name: str, loader: Callable[[], Any], *, origin: str = BUILTIN) -> None:
        """Register what ``loader`` returns under ``name``, called on first use."""
        if name in self._entries:
            raise ConfigError(f"{self.kind} {name!r} is registered already")
        self._entries[name] = Entry(name, origin, loader=loader)

    def remove(self, name: str) -> None:
        """Forget a registered name (for code that registers temporarily)."""
        self._entries.pop(self.resolve(name), None)

    # -- looking up ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every registered name, built-ins first, nothing loaded."""
        self._discover()
        return list(self._entries)

    def entries(self) -> list[Entry]:
        """Every entry with its origin, nothing loaded."""
        self._discover()
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def resolve(self, name: str) -> str:
        """The full registered name ``name`` stands for; a ConfigError names the choices."""
        found = self._find(name)
        if found is None:
            choices = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r}", hint=f"choose one of: {choices}")
        return found

    def get(self, name: str) -> T:
        """The object registered under ``name`` (full or short), loaded on first use."""
        entry = self._entries[self.resolve(name)]
        if not entry.loaded:
            entry.value, entry.loaded = self._load(entry), True
        value: T = entry.value
        return value

    def load_all(self) -> tuple[dict[str, T], list[PluginError]]:
        """Every plugin that loads, by name, and the errors of those that do not."""
        loaded: dict[str, T] = {}
        errors: list[PluginError] = []
        for name in self.names():
            try:
                loaded[name] = self.get(name)
            except PluginError as error:
                errors.append(error)
        return loaded, errors

    def items(self) -> list[tuple[str, T]]:
        """(name, object) of every plugin; one that fails to load raises its PluginError."""
        return [(name, self.get(name)) for name in self.names()]

    # -- internals -------------------------------------------------------------------------------

    def _find(self, name: str) -> str | None:
        if name in self._entries:
            return name
        self._discover()
        if name in self._entries:
            return name
        short = [e.name for e in self._entries.values() if e.short == name]
        return short[0] if len(short) == 1 else None

    def _discover(self) -> None:
        """Add the entry points of installed packages (once)."""
        if self._discovered:
            return
        self._discovered = True
        for point in entry_points(group=self.group):
            dist = point.dist.name if point.dist is not None else "unknown"
            name = point.name if "/" in point.name else f"{dist}/{point.name}"
            if name in self._entries:
                continue
            origin = f"entry point of {dist} ({point.value})"
            self._entries[name] = Entry(name, origin, point.value, loader=_loader(point))

    def _load(self, entry: Entry) -> T:
        try:
            obj = entry.loader() if entry.loader is not None else import_target(entry.target or "")
        except Exception as exc:  # any failure of a plugin's import is reported, not raised raw
            raise PluginError(
                f"{self.kind} {entry.name!r} failed to load: {type(exc).__name__}: {exc}",
                hint=f"from {entry.origin}",
            ) from exc
        return self._checked(entry, obj)

    def _checked(self, entry: Entry, obj: Any) -> T:
        if self._check is None:
            checked: T = obj
            return checked
        try:
            return self._check(obj)
        except (TypeError, ValueError) as exc:
            raise PluginError(
                f"{self.kind} {entry.name!r} is not usable: {exc}", hint=f"from {entry.origin}"
            ) from None


def _loader(point: EntryPoint) -> Callable[[], Any]:
    return point.load


def _name_of(obj: Any) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(obj, "__name__", "")) or repr(obj)


def callable_entries(what: str) -> Callable[[Any], Any]:
    """A registry's ``check`` for entries that must be callable (``what``: "a stage class or
    factory"), which says what was expected otherwise."""

    def check(obj: Any) -> Any:
        if not callable(obj):
            raise TypeError(f"expected {what}, got {type(obj).__name__}")
        return obj

    return check
