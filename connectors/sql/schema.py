"""Reflect the dataset's tables from the live database and check that they fit."""

from typing import Any

from sqlalchemy import Connection, Enum, MetaData, String, Table, inspect
from sqlalchemy.types import NullType, TypeEngine

from connectors.base import ConfigError
from connectors.sql.dataset import Dataset, Strategy, TableSpec


def reflect(
    connection: Connection, dataset: Dataset, schema: str | None
) -> dict[str, Table]:
    """Reflected tables by name; raise ConfigError listing every mismatch."""
    existing = set(inspect(connection).get_table_names(schema=schema))
    problems = [
        f"{name}: table not found" for name in dataset.order if name not in existing
    ]
    found = [name for name in dataset.order if name in existing]
    metadata = MetaData()
    # One bulk reflection: far fewer catalog queries than a Table autoload per table.
    metadata.reflect(connection, schema=schema, only=found, resolve_fks=False)
    tables = {name: metadata.tables[_key(name, schema)] for name in found}
    for name, columns in dataset.required_columns().items():
        if name in tables:
            problems += [
                f"{name}.{column}: column not found"
                for column in sorted(columns)
                if column not in tables[name].c
            ]
    if not problems:
        for spec in dataset.tables.values():
            problems += _erase_problems(spec, tables[spec.name])
    if problems:
        raise ConfigError(
            f"{dataset.source}: does not match the database: {'; '.join(problems)}"
        )
    return tables


def _key(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema else name


def _erase_problems(spec: TableSpec, table: Table) -> list[str]:
    problems = []
    for column, strategy in spec.updates.items():
        if strategy is Strategy.NULL and not table.c[column].nullable:
            problems.append(f'{spec.name}.{column}: "null" needs a nullable column')
        elif strategy is not Strategy.NULL and not _is_text(table.c[column].type):
            problems.append(f"{spec.name}.{column}: {strategy} needs a text column")
    if spec.delete:
        for ref in spec.self_references:
            if not table.c[ref.column].nullable:
                problems.append(
                    f"{spec.name}.{ref.column}: must be nullable to unlink deleted rows"
                )
    return problems


def _is_text(column_type: TypeEngine[Any]) -> bool:
    # SQLite columns may carry no declared type; treat them as text like SQLite does.
    return isinstance(column_type, String | NullType) and not isinstance(
        column_type, Enum
    )


def column_length(table: Table, column: str) -> int | None:
    """The declared maximum length of a text column, if any."""
    length = getattr(table.c[column].type, "length", None)
    return length if isinstance(length, int) and length > 0 else None
