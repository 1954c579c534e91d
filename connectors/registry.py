"""Connector types discovered through the `dsr.connectors` entry-point group.

Loading never raises for one bad plugin: a type that fails to import, is not a
`Connector` subclass, is abstract, or whose name is registered twice lands in
`Registry.broken` with a one-line reason. The caller decides what that means: a broken
type that `connectors.yaml` uses must stop start-up (a missing erasure is a legal risk),
an unused one is only a warning (see `Registry.check_used`).
"""

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from connectors.base import ConfigError, Connector

GROUP = "dsr.connectors"

ConnectorType = type[Connector[Any]]
PluginSource = Iterable[EntryPoint] | Mapping[str, "str | type[Any]"]


@dataclass(frozen=True, slots=True)
class Registry:
    """Loaded connector types by name, and the names that failed with their reason."""

    types: Mapping[str, ConnectorType] = field(default_factory=dict)
    broken: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> ConnectorType:
        """Return the type registered as `name`, or raise ConfigError saying why not."""
        if name in self.types:
            return self.types[name]
        if name in self.broken:
            raise ConfigError(
                f"connector type {name!r} failed to load: {self.broken[name]}"
            )
        known = ", ".join(sorted(self.types)) or "none"
        raise ConfigError(f"unknown connector type {name!r} (known: {known})")

    def check_used(self, used: Iterable[str]) -> list[str]:
        """Raise ConfigError if a used type is broken; return warnings for the rest."""
        used_names = set(used)
        for name in sorted(used_names & set(self.broken)):
            self.get(name)
        return [
            f"connector type {name!r} failed to load (unused): {reason}"
            for name, reason in sorted(self.broken.items())
            if name not in used_names
        ]


def load_types(entry_points: PluginSource | None = None) -> Registry:
    """Load connector types from entry points (default: the installed `dsr.connectors`).

    Tests pass an explicit mapping of name to class or `"module:attr"` string, or a
    list of `EntryPoint`s, so no global state is involved.
    """
    candidates = _candidates(entry_points)
    types: dict[str, ConnectorType] = {}
    broken: dict[str, str] = {}
    for name, targets in candidates.items():
        distinct = {t if isinstance(t, str) else _describe(t) for t in targets}
        if len(distinct) > 1:
            listed = ", ".join(sorted(distinct))
            broken[name] = f"name registered more than once ({listed})"
            continue
        try:
            types[name] = _load_one(targets[0])
        except Exception as exc:  # a plugin may raise anything on import
            broken[name] = f"{type(exc).__name__}: {_first_line(exc)}"
    return Registry(types=types, broken=broken)


def _candidates(source: PluginSource | None) -> dict[str, list[str | type[Any]]]:
    if source is None:
        source = entry_points(group=GROUP)
    found: dict[str, list[str | type[Any]]] = {}
    if isinstance(source, Mapping):
        for name, target in source.items():
            found.setdefault(name, []).append(target)
    else:
        for point in source:
            found.setdefault(point.name, []).append(point.value)
    return found


def _load_one(target: str | type[Any]) -> ConnectorType:
    loaded = (
        EntryPoint(name="", value=target, group=GROUP).load()
        if isinstance(target, str)
        else target
    )
    if not (isinstance(loaded, type) and issubclass(loaded, Connector)):
        raise TypeError(f"{_describe(loaded)} is not a Connector subclass")
    if inspect.isabstract(loaded):
        raise TypeError(f"{_describe(loaded)} is abstract")
    for attribute in ("capabilities", "config_model"):
        if not hasattr(loaded, attribute):
            raise TypeError(f"{_describe(loaded)} does not set {attribute}")
    return loaded


def _describe(obj: object) -> str:
    module = getattr(obj, "__module__", "?")
    return f"{module}:{getattr(obj, '__qualname__', repr(obj))}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
