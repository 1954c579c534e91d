"""The connector contract: what every connector type implements and returns.

A connector is given a `Subject` and its validated settings, and answers three calls:
`test()` (credentials and reachability), `access(subject)` (an async stream of
`Record`s) and `erase(subject)` (an idempotent erasure returning an `EraseSummary`);
types with `Capability.OPT_OUT` also answer `opt_out(subject)` (unsubscribe the person from
marketing, an `OptOutSummary`). Connectors do not retry failed tasks: the runtime does,
driven by the error types below (`ConnectorError.retryable`, `TransientError.retry_after`).
Every vendor call holds the instance's `throttle` (built from `rate_limits()`, shared by all
tasks of one configured connector); `connectors.http.Api` does that for HTTP types, and
waits out a 429 in place so that a paging access stream goes on where it was.

Readable exports. `source_info(source)` may name a record source in words, with its
`privacy.yaml` category and column labels (`SourceInfo`); the package's `index.html` uses
them, the machine-readable files keep the raw names.

Request context. The runtime passes the ticket reference and the task's idempotency key
in `Subject.hints` under the well-known keys `HINT_REFERENCE` and
`HINT_IDEMPOTENCY_KEY`, read through `Subject.reference` and `Subject.idempotency_key`.
This keeps the three-method signature identical for every type (most never need either
value) while the types that talk to a vendor with idempotency support can use them. The
runtime makes one idempotency key per task (connector + action + ticket), so a retried
task sends the same key.

Erasure outcomes. `EraseStatus.DONE` (finished now), `PENDING` (the vendor finishes
later; `job_ref` identifies the job and the runtime calls `poll(job_ref)` or waits for a
callback), `MANUAL_REQUIRED` (a person must act; also raised as `ManualActionRequired`)
or `ALREADY_ERASED` (the vendor shows the person was erased before this call, e.g. by an
earlier run that was interrupted, so this call's counts say nothing about what was held).
`erased` counts what this call (or, for `poll`, the job) erased; the runtime merges the
counts of a task's attempts per object, keeping the largest, so a replayed answer is not
counted twice. An access that the vendor answers later raises `AccessPending(job_ref)`.

Callbacks. A type whose vendor reports results later by calling us overrides
`callback(CallbackRequest)`: verify the request (raise `CallbackRefused`), parse it
(raise `CallbackMalformed`) and return a `CallbackResult` naming the task (by the
idempotency key sent, or the job reference returned) and its result, or None for a
delivery that concerns no task. The app serves it at `POST /api/v1/callbacks/{name}`.
"""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Self, TypeVar

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

if TYPE_CHECKING:
    from connectors.throttle import Throttle

HINT_REFERENCE = "reference"
HINT_IDEMPOTENCY_KEY = "idempotency_key"


class Capability(StrEnum):
    """What a connector can do for a data subject."""

    ACCESS = "access"
    ERASE = "erase"
    OPT_OUT = "opt_out"


class EraseStatus(StrEnum):
    """How an erasure ended."""

    DONE = "done"
    PENDING = "pending"
    MANUAL_REQUIRED = "manual_required"
    # Additive (added with the fan-out runtime's erasure reports): erased before this
    # call; a count of what an interrupted earlier run erased is unknown.
    ALREADY_ERASED = "already_erased"


@dataclass(frozen=True, slots=True)
class Subject:
    """The person a request is about, plus lookup hints and request context."""

    email: str
    name: str | None = None
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def addresses(self) -> tuple[str, ...]:
        """The address as the requester wrote it, then lower-cased if that differs.

        The app keeps the case of the local part; vendors match case differently (Stripe's
        list filter is exact), so a lookup tries each, or the vendor's case-blind search.
        """
        lowered = self.email.lower()
        return (self.email,) if lowered == self.email else (self.email, lowered)

    @property
    def reference(self) -> str | None:
        """The ticket reference (`DSR-…`), when the runtime supplied it."""
        return self.hints.get(HINT_REFERENCE)

    @property
    def idempotency_key(self) -> str | None:
        """The task's idempotency key, when the runtime supplied it."""
        return self.hints.get(HINT_IDEMPOTENCY_KEY)


@dataclass(frozen=True, slots=True)
class Record:
    """One object or row found for the subject; `source` is the object or table name."""

    source: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class EraseSummary:
    """The outcome of `erase()`: status, counts per table/object, job ref if pending."""

    status: EraseStatus = EraseStatus.DONE
    erased: Mapping[str, int] = field(default_factory=dict)
    job_ref: str | None = None
    notes: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.status is EraseStatus.PENDING and not self.job_ref:
            raise ValueError("a pending erasure needs a job_ref")


@dataclass(frozen=True, slots=True)
class OptOutSummary(EraseSummary):
    """The outcome of `opt_out()`: `erased` counts the lists/audiences/channels the person
    was unsubscribed from (0 where they already were); `notes` say anything left."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A record source in words: a label, its `privacy.yaml` category, column labels."""

    label: str
    category: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A vendor's HTTP call to `POST /api/v1/callbacks/{connector}`, as received.

    `headers` has lower-case names; `url` is the full URL the vendor called (some
    vendors sign it with the body).
    """

    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """What a callback says about one task of this connector.

    The task is named by `idempotency_key` (as sent in `Subject.idempotency_key`) or by
    `job_ref` (as returned in a pending summary). `summary` is an erasure's or opt-out's
    outcome (`PENDING`: still running; `MANUAL_REQUIRED`: its notes are the
    instructions), `records` an access result, `failure` a vendor-reported failure.
    """

    idempotency_key: str | None = None
    job_ref: str | None = None
    summary: EraseSummary | None = None
    records: Sequence[Record] | None = None
    failure: str | None = None

    def __post_init__(self) -> None:
        if not (self.idempotency_key or self.job_ref):
            raise ValueError(
                "a callback result names its task: idempotency_key/job_ref"
            )


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `max_rate` calls per `time_period` seconds (aiolimiter's terms)."""

    max_rate: float
    time_period: float = 1.0


class ConnectorError(Exception):
    """A connector call failed; not retried unless `retryable`."""

    retryable: ClassVar[bool] = False


class TransientError(ConnectorError):
    """A temporary failure (429, 5xx, timeout, lost connection): retry later."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """The credentials were refused; retrying cannot help."""


class ConfigError(ConnectorError):
    """The configuration or dataset is invalid or does not match the store."""


class ManualActionRequired(ConnectorError):
    """No API can do this: a person must follow `instructions`."""

    def __init__(self, instructions: str) -> None:
        super().__init__(instructions)
        self.instructions = instructions


class CallbackRefused(ConnectorError):
    """A callback that is not the vendor's: bad or stale signature (answered 401)."""


class CallbackMalformed(ConnectorError):
    """A callback whose body cannot be read; the message names the field (422)."""


class AccessPending(ConnectorError):
    """The vendor will deliver the records later, identified by `job_ref`."""

    def __init__(self, job_ref: str) -> None:
        super().__init__(f"access results will arrive later (job {job_ref})")
        self.job_ref = job_ref


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
    if base_dir is not None and not value.is_absolute():
        return Path(base_dir) / value
    return value


ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A file path in a config block; a relative path resolves against the config file's
folder (passed as `context={"base_dir": ...}` to `model_validate`)."""


class SourceLabels(BaseModel):
    """`sources:` of a connectors.yaml block: one record source named for people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, description="The source in words, e.g. Orders.")
    category: str | None = Field(
        default=None, min_length=1, description="Its category in privacy.yaml."
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Readable names of its fields."
    )

    def info(self) -> "SourceInfo":
        """The contract's shape of these labels."""
        return SourceInfo(self.label, self.category, dict(self.columns))


class ConnectorConfig(BaseModel):
    """Base of every type's config model: one block of `connectors.yaml`."""

    # hide_input_in_errors: a rejected value may be a secret (a URL with a password).
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(
        min_length=1, description="Unique name of this connector instance."
    )
    type: str = Field(min_length=1, description="Registered connector type.")
    enabled: bool = Field(default=True, description="Disabled connectors get no tasks.")
    timeout: float = Field(default=30, gt=0, description="Seconds per vendor call.")
    label: str | None = Field(
        default=None,
        min_length=1,
        description="The system in words for the access package's page, e.g. Our shop.",
    )
    sources: dict[str, SourceLabels] = Field(
        default_factory=dict,
        description="Readable names of record sources, for the access package's page.",
    )


ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)


class Connector(ABC, Generic[ConfigT]):
    """Base class of every connector type (registered under `dsr.connectors`)."""

    capabilities: ClassVar[frozenset[Capability]]
    rate_limit: ClassVar[RateLimit | None] = None
    # How the type names the sources it knows (a SaaS type's objects), for people.
    source_names: ClassVar[Mapping[str, SourceInfo]] = {}
    config_model: ClassVar[type[ConnectorConfig]]

    def __init__(
        self,
        config: ConfigT,
        *,
        name: str,
        http: httpx.AsyncClient | None = None,
        throttle: "Throttle | None" = None,
    ) -> None:
        self.config = config
        self.name = name
        self._http = http
        self._owns_http = False
        self._throttle = throttle

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The vendor's limits for this instance (override when they depend on config)."""
        return (self.rate_limit,) if self.rate_limit is not None else ()

    @property
    def throttle(self) -> "Throttle":
        """The call budget every vendor call holds: the runtime's shared one, else own."""
        if self._throttle is None:
            from connectors.throttle import Throttle  # base stays import-light

            self._throttle = Throttle(self.rate_limits())
        return self._throttle

    def source_info(self, source: str) -> SourceInfo | None:
        """How to name `source` in the readable export; None keeps the raw name.

        The type's own `source_names` first, else the block's `sources:` in
        connectors.yaml, so every type can be labelled; a type may know better still
        (the SQL dataset's own labels)."""
        if (known := self.source_names.get(source)) is not None:
            return known
        labels = self.config.sources.get(source)
        return labels.info() if labels is not None else None

    @property
    def enabled_actions(self) -> frozenset[Capability]:
        """The capabilities this instance may use (a config may narrow the type's)."""
        return self.capabilities

    def require_action(self, action: Capability) -> None:
        """Raise ConnectorError unless this instance may perform `action`."""
        if action not in self.enabled_actions:
            raise ConnectorError(f"{self.name}: action {action} is not enabled")

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client, or an own one that aclose() closes."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.config.timeout)
            self._owns_http = True
        return self._http

    @abstractmethod
    async def test(self) -> None:
        """Check credentials, reachability and configuration; raise a ConnectorError."""

    @abstractmethod
    def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Stream every record held about the subject (an async generator)."""

    @abstractmethod
    async def erase(self, subject: Subject) -> EraseSummary:
        """Erase the subject's data; running it again must be harmless."""

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Unsubscribe the subject from marketing; types with `OPT_OUT` override this."""
        raise NotImplementedError(f"{type(self).__name__} cannot unsubscribe anyone")

    async def poll(self, job_ref: str) -> EraseSummary:
        """Report on a pending erasure; types that return `pending` override this."""
        raise NotImplementedError(f"{type(self).__name__} has no pending jobs to poll")

    async def callback(self, request: CallbackRequest) -> CallbackResult | None:
        """Verify and read a vendor's callback; types whose vendors call back override
        this (None: a delivery about no task, acknowledged and ignored)."""
        raise CallbackRefused(f"{type(self).__name__} receives no callbacks")

    async def aclose(self) -> None:
        """Release what the connector opened (its own HTTP client, database engine…)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
            self._owns_http = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
