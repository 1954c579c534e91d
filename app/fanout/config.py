"""The fan-out runtime: connectors.yaml loaded once at start-up, with one throttle each.

`load_runtime` validates the file against the registered connector types (entry points
`dsr.connectors`) and fails with `ConnectorsFileError`, one line naming the file and the
key, which the app and the CLI turn into exit 1. A missing file means no connectors.

The runtime travels in the app's sessionmaker `info` under `RUNTIME_KEY` (beside the
audit key), so the approval service can plan tasks in its own transaction and the jobs
and the callback endpoint find the same connectors, without any of them importing HTTP
or start-up code.
"""

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.logging import log
from app.settings import Settings
from connectors.base import (
    Capability,
    ConfigError,
    Connector,
    ConnectorConfig,
    RateLimit,
)
from connectors.config import load_connectors_file
from connectors.registry import ConnectorType, Registry, load_types
from connectors.throttle import Throttle

RUNTIME_KEY = "fanout_runtime"
STAFF = "staff"
"""Reserved connector name of the one manual task opened when no connector applies."""
DEFAULT_CONCURRENCY = 32
HTTP_TIMEOUT_SECONDS = 30.0


class ConnectorsFileError(Exception):
    """connectors.yaml cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """One configured connector: its validated block, its type, usable actions, limits."""

    config: ConnectorConfig
    type: ConnectorType
    actions: frozenset[Capability]
    limits: tuple[RateLimit, ...] = ()

    @property
    def name(self) -> str:
        """The connector's unique name."""
        return self.config.name

    @property
    def type_name(self) -> str:
        """The registered type name, as written in connectors.yaml."""
        return self.config.type

    @property
    def enabled(self) -> bool:
        """Whether new tasks are planned for it."""
        return self.config.enabled


@dataclass(frozen=True)
class FanoutRuntime:
    """The configured connectors, a global concurrency limit and per-connector throttles.

    One `Throttle` per configured connector, shared by every task of it in this process:
    the vendor's rate limit holds for all of its calls together."""

    source: Path
    connectors: Mapping[str, ConnectorSpec] = field(default_factory=dict)
    concurrency: int = DEFAULT_CONCURRENCY
    throttles: Mapping[str, Throttle] = field(default_factory=dict)

    def get(self, name: str) -> ConnectorSpec | None:
        """The connector called `name`, if configured."""
        return self.connectors.get(name)

    def planned_for(self, action: Capability) -> list[ConnectorSpec]:
        """Enabled connectors able to perform `action`, in file order."""
        return [
            spec
            for spec in self.connectors.values()
            if spec.enabled and action in spec.actions
        ]

    def build(self, name: str, http: httpx.AsyncClient | None = None) -> Connector[Any]:
        """A fresh instance of connector `name` (the caller closes it)."""
        spec = self.connectors[name]
        throttle = self.throttles.get(name)
        return spec.type(spec.config, name=spec.name, http=http, throttle=throttle)

    def http_client(self, timeout: float = HTTP_TIMEOUT_SECONDS) -> httpx.AsyncClient:
        """A new HTTP client for one run, sharing the process's TLS context."""
        return httpx.AsyncClient(timeout=timeout, verify=self._tls)

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        # Building the context (loading the CA bundle) costs ~25 ms: once per process.
        return httpx.create_ssl_context()


def load_runtime(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    registry: Registry | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> FanoutRuntime:
    """Load `settings.connectors_file`; raise ConnectorsFileError with one clear line."""
    path = settings.connectors_file
    if not path.exists():
        log.info("fanout.no_connectors_file", path=str(path))
        return FanoutRuntime(source=path, concurrency=concurrency)
    registry = registry if registry is not None else load_types()
    try:
        configs = load_connectors_file(path, registry, environ)
    except ConfigError as exc:
        raise ConnectorsFileError(str(exc)) from None
    for warning in registry.check_used(config.type for config in configs):
        log.warning("fanout.connector_type_broken", problem=warning)
    specs = {
        config.name: _spec(path, index, config, registry)
        for index, config in enumerate(configs)
    }
    throttles = {spec.name: Throttle(spec.limits) for spec in specs.values()}
    log.info("fanout.connectors_loaded", path=str(path), count=len(specs))
    return FanoutRuntime(path, specs, concurrency, throttles)


def _spec(
    path: Path, index: int, config: ConnectorConfig, registry: Registry
) -> ConnectorSpec:
    where = f"{path}: connectors[{index}] ({config.name})"
    if config.name == STAFF:
        reason = "reserved for the tasks staff do by hand"
        raise ConnectorsFileError(f"{where}.name: {STAFF!r} is {reason}")
    connector_type = registry.get(config.type)
    try:
        # A probe instance: constructors open nothing (clients and engines are lazy).
        probe = connector_type(config, name=config.name)
        actions, limits = probe.enabled_actions, probe.rate_limits()
    except Exception as exc:  # a plugin may raise anything
        raise ConnectorsFileError(f"{where}: {type(exc).__name__}: {exc}") from None
    return ConnectorSpec(config, connector_type, frozenset(actions), tuple(limits))


def runtime_of(session: AsyncSession) -> FanoutRuntime | None:
    """The runtime the session's sessionmaker carries, if the app configured one."""
    runtime = session.info.get(RUNTIME_KEY)
    return runtime if isinstance(runtime, FanoutRuntime) else None
