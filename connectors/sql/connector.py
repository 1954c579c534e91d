"""Connector type `sql`: a relational store described by a dataset file.

`access` streams every column of every reached row, table by table (parents first), from
one consistent snapshot, with server-side cursors. `erase` runs in one transaction:
children before parents, so each table's reach (computed through its still-unchanged
parents) is evaluated before any parent row changes; `dry_run` reports the same counts
and rolls back.

Idempotency: `erased` counts the rows this run deleted or rewrote. When the identity
column is erased (hashed, nulled…) or the rows are deleted, a second run reaches nothing
and reports 0 for every table. If the dataset leaves the identity column intact, a
second run rewrites the same rows again: `null`/`redact` give the same state,
`hash`/`random` new unlinkable values.
"""

from collections.abc import AsyncIterator
from typing import Any, Self

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from connectors.base import (
    Capability,
    ConfigError,
    ConfigPath,
    Connector,
    ConnectorConfig,
    ConnectorError,
    EraseSummary,
    Record,
    SourceInfo,
    Subject,
)
from connectors.sql.dataset import ROW_BY_ROW, Dataset, load_dataset
from connectors.sql.engine import async_url, create_engine, translate_errors
from connectors.sql.masking import Masker
from connectors.sql.schema import column_length, reflect
from connectors.sql.statements import Statements

STREAM_BATCH = 2000
ROW_BATCH = 1000
_PARSED = "sql_datasets"  # validation-context key: datasets parsed while validating


class SqlConfig(ConnectorConfig):
    """Settings of a `sql` connector."""

    url: SecretStr = Field(
        description="SQLAlchemy URL; sync drivers map to async ones."
    )
    dataset: ConfigPath = Field(
        description="Dataset YAML, relative to connectors.yaml."
    )
    hash_key: SecretStr | None = Field(default=None, description="HMAC key for `hash`.")
    dry_run: bool = Field(
        default=False, description="Erase reports counts, then rolls back."
    )
    db_schema: str | None = Field(
        default=None, description="Schema holding the tables."
    )

    # Parsed once, when the block is validated (connectors.yaml loads); every connector
    # instance built from this config (one per attempt) reuses it.
    _dataset: Dataset | None = PrivateAttr(default=None)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: SecretStr) -> SecretStr:
        try:
            async_url(value.get_secret_value())
        except ConfigError:
            raise ValueError("not a valid SQLAlchemy database URL") from None
        return value

    @field_validator("dataset")
    @classmethod
    def _valid_dataset(cls, value: ConfigPath, info: ValidationInfo) -> ConfigPath:
        try:
            dataset = load_dataset(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if isinstance(info.context, dict):  # hand the parsed file to `_keep_dataset`
            info.context.setdefault(_PARSED, {})[value] = dataset
        return value

    @field_validator("hash_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _keep_dataset(self, info: ValidationInfo) -> Self:
        parsed = info.context.get(_PARSED, {}) if isinstance(info.context, dict) else {}
        # Without a context (a config built in code) the file is read here instead.
        self._dataset = parsed.get(self.dataset) or load_dataset(self.dataset)
        if self.hash_key is None and self._dataset.uses_hash:
            raise ValueError("hash_key: required because the dataset hashes columns")
        return self

    @property
    def parsed_dataset(self) -> Dataset:
        """The dataset file as read and validated with this config."""
        if self._dataset is None:  # model_construct() skips validation
            self._dataset = load_dataset(self.dataset)
        return self._dataset


class SqlConnector(Connector[SqlConfig]):
    """Reads and erases a subject's rows in PostgreSQL, MySQL/MariaDB or SQLite."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE})
    config_model = SqlConfig

    def __init__(self, config: SqlConfig, *, name: str, **runtime: Any) -> None:
        super().__init__(config, name=name, **runtime)
        self.dataset: Dataset = config.parsed_dataset
        key = config.hash_key.get_secret_value().encode() if config.hash_key else None
        self._masker = Masker(key)
        self._engine: AsyncEngine | None = None

    def source_info(self, source: str) -> SourceInfo | None:
        """The dataset's `label`, `category` and `columns` of a table, else the block's."""
        spec = self.dataset.tables.get(source)
        if spec is None or not (spec.label or spec.category or spec.column_labels):
            return super().source_info(source)
        label = spec.label or source
        return SourceInfo(label, spec.category, dict(spec.column_labels))

    def _get_engine(self) -> AsyncEngine:
        if self._engine is None:
            url = async_url(self.config.url.get_secret_value())
            self._engine = create_engine(url, timeout=self.config.timeout)
        return self._engine

    async def _reflect(self, connection: AsyncConnection) -> dict[str, Table]:
        return await connection.run_sync(reflect, self.dataset, self.config.db_schema)

    def _statements(self, subject: Subject, tables: dict[str, Table]) -> Statements:
        email = subject.email.strip()
        if not email:  # lower('') would match every row with an empty email
            raise ConnectorError(f"{self.name}: the subject has no email to match")
        return Statements(self.dataset, tables, email)

    async def test(self) -> None:
        """Connect and check every dataset table and column against the live schema."""
        with translate_errors(f"{self.name}: test"):
            async with self._get_engine().connect() as connection:
                await self._reflect(connection)

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Stream every reached row, grouped by table, parents first."""
        with translate_errors(f"{self.name}: access"):
            async with self._get_engine().connect() as connection:
                await self._snapshot(connection)
                statements = self._statements(subject, await self._reflect(connection))
                for name in self.dataset.order:
                    query = statements.access(name).execution_options(
                        yield_per=STREAM_BATCH
                    )
                    # Not `async with connection.stream()`: that context swallows the
                    # GeneratorExit of a consumer that stops early.
                    result = await connection.stream(query)
                    try:
                        columns = list(result.keys())
                        # Partitions: one driver round trip per batch, not per row.
                        async for rows in result.partitions():
                            for row in rows:
                                yield Record(name, dict(zip(columns, row, strict=True)))
                    finally:
                        await result.close()

    async def _snapshot(self, connection: AsyncConnection) -> None:
        # One snapshot for every table, so the export is consistent; read-only on PG.
        options: dict[str, Any] = {}
        if connection.dialect.name in ("postgresql", "mysql"):
            options["isolation_level"] = "REPEATABLE READ"
        if connection.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        if options:
            await connection.execution_options(**options)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Erase per the dataset, children first, in one transaction."""
        with translate_errors(f"{self.name}: erase"):
            async with (
                self._get_engine().connect() as connection,
                connection.begin() as transaction,
            ):
                statements = self._statements(subject, await self._reflect(connection))
                erased, notes = await self._erase_all(connection, statements)
                if self.config.dry_run:
                    await transaction.rollback()
                    notes.append(
                        "dry run: counts show what would change; nothing changed"
                    )
        return EraseSummary(erased=erased, notes=tuple(notes))

    async def _erase_all(
        self, connection: AsyncConnection, statements: Statements
    ) -> tuple[dict[str, int], list[str]]:
        erased: dict[str, int] = {}
        notes: list[str] = []
        for name in reversed(self.dataset.order):
            spec = self.dataset.tables[name]
            if not spec.erased:
                notes.append(f"{name}: kept (no erase rule)")
            elif spec.delete:
                notes += await self._unlink_self_references(
                    connection, statements, name
                )
                result = await connection.execute(statements.delete(name))
                erased[name] = result.rowcount
            elif any(strategy in ROW_BY_ROW for strategy in spec.updates.values()):
                erased[name] = await self._rewrite_rows(connection, statements, name)
            else:
                erased[name] = await self._rewrite_all(connection, statements, name)
        return erased, notes

    async def _unlink_self_references(
        self, connection: AsyncConnection, statements: Statements, name: str
    ) -> list[str]:
        """Clear self-references to rows about to be deleted (others' rows included)."""
        notes = []
        for ref in self.dataset.tables[name].self_references:
            result = await connection.execute(statements.unlink(name, ref))
            if result.rowcount:
                notes.append(
                    f"{name}.{ref.column}: cleared in {result.rowcount} rows "
                    "that pointed at erased rows"
                )
        return notes

    async def _rewrite_all(
        self, connection: AsyncConnection, statements: Statements, name: str
    ) -> int:
        """One UPDATE for every reached row: the new values do not depend on the row."""
        table = statements.table(name)
        values = {
            column: self._masker.value(strategy, None, column_length(table, column))
            for column, strategy in self.dataset.tables[name].updates.items()
        }
        result = await connection.execute(statements.update_all(name, values))
        return result.rowcount

    async def _rewrite_rows(
        self, connection: AsyncConnection, statements: Statements, name: str
    ) -> int:
        """Rewrite rows one by one (values depend on the row), in key-ordered pages."""
        spec = self.dataset.tables[name]
        table = statements.table(name)
        columns = list(spec.updates)
        lengths = [column_length(table, column) for column in columns]
        width = len(spec.primary_key)
        update = statements.update_row(name, columns)
        count, after = 0, None
        while True:
            rows = (
                await connection.execute(
                    statements.page(name, columns, after, ROW_BATCH)
                )
            ).all()
            if not rows:
                return count
            params = []
            for row in rows:
                values = {
                    f"v{i}": self._masker.value(
                        spec.updates[column], row[width + i], lengths[i]
                    )
                    for i, column in enumerate(columns)
                }
                params.append({**{f"k{i}": row[i] for i in range(width)}, **values})
            await connection.execute(update, params)
            count += len(rows)
            after = tuple(rows[-1][:width])

    async def aclose(self) -> None:
        """Dispose of the engine and any owned HTTP client."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        await super().aclose()
