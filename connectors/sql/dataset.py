"""The SQL dataset: which tables hold personal data, how they are reached and erased.

```yaml
tables:
  users:
    identity: {email: email}             # column: kind (matched case-insensitively)
    primary_key: id                      # or a list: [user_id, tag]
    references: {referred_by: users.id}  # a self-reference: allowed, see below
    erase: {update: {email: hash, name: "null"}}   # also redact, random
  orders:
    references: {user_id: users.id}      # column: table.column, to any depth
    erase: delete
    label: Orders                        # optional, for the access package's index.html:
    category: Billing data               #   a category of privacy.yaml,
    columns: {total: Total (EUR)}        #   readable column names (the files keep raw ones)
```

A row is reached when an identity column matches the subject, or when one of its
reference columns holds a value of the target column in a reached row of the target
table. The references form a graph walked from the identity tables; cycles are rejected.
A self-reference (`users.referred_by -> users.id`) is not followed, because the rows it
leads to belong to other people; when the table's rows are deleted, the column is
cleared in the rows that pointed at them. Tables without `erase` are reported by access
and kept by erasure (e.g. invoices held under a legal obligation).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

from connectors.base import ConfigError

IDENTITY_KINDS = frozenset({"email"})


class Strategy(StrEnum):
    """How `erase: {update: ...}` rewrites one column."""

    NULL = "null"
    REDACT = "redact"
    HASH = "hash"
    RANDOM = "random"


_STRATEGIES = frozenset(strategy.value for strategy in Strategy)
ROW_BY_ROW = frozenset({Strategy.HASH, Strategy.RANDOM})


@dataclass(frozen=True, slots=True)
class Reference:
    """`column` of this table holds values of `table.target` (the parent)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table of the dataset."""

    name: str
    identity: Mapping[str, str]
    primary_key: tuple[str, ...]
    references: tuple[Reference, ...]
    delete: bool
    updates: Mapping[str, Strategy]
    # How an access package names the table and its columns (raw names when unset), and
    # the privacy.yaml category its rows belong to.
    label: str | None = None
    category: str | None = None
    column_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def parent_references(self) -> tuple[Reference, ...]:
        """References to other tables: the edges the reach follows."""
        return tuple(ref for ref in self.references if ref.table != self.name)

    @property
    def self_references(self) -> tuple[Reference, ...]:
        """References to this same table (not followed)."""
        return tuple(ref for ref in self.references if ref.table == self.name)

    @property
    def erased(self) -> bool:
        """Whether erasure touches this table at all."""
        return self.delete or bool(self.updates)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A validated dataset; `order` lists tables parents first."""

    source: str
    tables: Mapping[str, TableSpec]
    order: tuple[str, ...]

    @property
    def uses_hash(self) -> bool:
        """Whether any column is erased with `hash` (which needs a key)."""
        return any(
            Strategy.HASH in spec.updates.values() for spec in self.tables.values()
        )

    def required_columns(self) -> dict[str, set[str]]:
        """Every column the dataset names, per table (checked against the schema)."""
        needed: dict[str, set[str]] = {name: set() for name in self.tables}
        for spec in self.tables.values():
            needed[spec.name] |= {*spec.identity, *spec.primary_key, *spec.updates}
            for ref in spec.references:
                needed[spec.name].add(ref.column)
                needed[ref.table].add(ref.target)
        return needed


def load_dataset(path: Path) -> Dataset:
    """Read and validate a dataset file; raise ConfigError naming the file and key."""
    label = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read dataset: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: invalid YAML") from exc
    try:
        return parse_dataset(document, source=label)
    except ValueError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def parse_dataset(document: Any, *, source: str = "<dataset>") -> Dataset:
    """Validate a parsed dataset document; raise ValueError("key: problem")."""
    root = _mapping(document, "dataset")
    if set(root) != {"tables"}:
        raise ValueError("expected a single top-level key 'tables'")
    tables_doc = _mapping(root["tables"], "tables")
    if not tables_doc:
        raise ValueError("tables: at least one table is required")
    tables = {str(name): _table(str(name), body) for name, body in tables_doc.items()}
    _check_references(tables)
    order = _order(tables)
    _check_reached(tables, order)
    _check_erasure(tables)
    return Dataset(source=source, tables=tables, order=order)


_TABLE_KEYS = frozenset(
    {"identity", "primary_key", "references", "erase", "label", "category", "columns"}
)


def _table(name: str, body: Any) -> TableSpec:
    where = f"tables.{name}"
    body = _mapping(body if body is not None else {}, where)
    unknown = set(body) - _TABLE_KEYS
    if unknown:
        raise ValueError(f"{where}.{sorted(map(str, unknown))[0]}: unknown key")
    delete, updates = _erase(body.get("erase"), f"{where}.erase")
    spec = TableSpec(
        name=name,
        identity=_identity(body.get("identity", {}), f"{where}.identity"),
        primary_key=_primary_key(body.get("primary_key"), f"{where}.primary_key"),
        references=_references(body.get("references", {}), f"{where}.references"),
        delete=delete,
        updates=updates,
        label=_text(body.get("label"), f"{where}.label"),
        category=_text(body.get("category"), f"{where}.category"),
        column_labels=_column_labels(body.get("columns", {}), f"{where}.columns"),
    )
    if (
        any(strategy in ROW_BY_ROW for strategy in updates.values())
        and not spec.primary_key
    ):
        raise ValueError(f"{where}.primary_key: required to hash or randomise columns")
    return spec


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: expected a non-empty text")
    return value.strip()


def _column_labels(value: Any, where: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for column, label in _mapping(value, where).items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{where}.{column}: expected a non-empty text")
        labels[_name(column, where)] = label.strip()
    return labels


def _identity(value: Any, where: str) -> dict[str, str]:
    identity: dict[str, str] = {}
    for column, kind in _mapping(value, where).items():
        if kind not in IDENTITY_KINDS:
            raise ValueError(
                f"{where}.{column}: unknown identity kind {kind!r} (known: email)"
            )
        identity[_name(column, where)] = kind
    return identity


def _primary_key(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    columns = [value] if isinstance(value, str) else value
    if not isinstance(columns, list) or not columns:
        raise ValueError(f"{where}: expected a column name or a list of column names")
    names = tuple(_name(column, where) for column in columns)
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: a column is listed twice")
    return names


def _references(value: Any, where: str) -> tuple[Reference, ...]:
    found = []
    for column, target in _mapping(value, where).items():
        table, dot, target_column = str(target).rpartition(".")
        if not (isinstance(target, str) and dot and table and target_column):
            raise ValueError(f"{where}.{column}: expected 'table.column'")
        found.append(Reference(_name(column, where), table, target_column))
    return tuple(found)


def _erase(value: Any, where: str) -> tuple[bool, dict[str, Strategy]]:
    if value is None:
        return False, {}
    if value == "delete":
        return True, {}
    if not isinstance(value, dict) or set(value) != {"update"}:
        raise ValueError(
            f"{where}: expected 'delete' or {{update: {{column: strategy}}}}"
        )
    columns = _mapping(value["update"], f"{where}.update")
    if not columns:
        raise ValueError(f"{where}.update: name at least one column")
    updates: dict[str, Strategy] = {}
    for column, strategy in columns.items():
        key = (
            "null" if strategy is None else strategy
        )  # an unquoted YAML null means "null"
        if not isinstance(key, str) or key not in _STRATEGIES:
            known = ", ".join(s.value for s in Strategy)
            raise ValueError(
                f"{where}.update.{column}: unknown strategy {strategy!r} ({known})"
            )
        updates[_name(column, where)] = Strategy(key)
    return False, updates


def _check_references(tables: Mapping[str, TableSpec]) -> None:
    for spec in tables.values():
        for ref in spec.references:
            if ref.table not in tables:
                where = f"tables.{spec.name}.references.{ref.column}"
                raise ValueError(f"{where}: unknown table {ref.table!r}")


def _order(tables: Mapping[str, TableSpec]) -> tuple[str, ...]:
    graph = {
        name: {ref.table for ref in spec.parent_references}
        for name, spec in tables.items()
    }
    try:
        return tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ValueError(
            f"tables: reference cycle {cycle} (only self-references are allowed)"
        ) from None


def _check_reached(tables: Mapping[str, TableSpec], order: tuple[str, ...]) -> None:
    reached: set[str] = set()
    for name in order:
        spec = tables[name]
        if spec.identity or any(ref.table in reached for ref in spec.parent_references):
            reached.add(name)
    for name in order:
        if name not in reached:
            raise ValueError(
                f"tables.{name}: not reached: give it an identity column or a reference"
            )


def _check_erasure(tables: Mapping[str, TableSpec]) -> None:
    targets = {
        (ref.table, ref.target): f"{spec.name}.{ref.column}"
        for spec in tables.values()
        for ref in spec.references
    }
    for spec in tables.values():
        for column in spec.updates:
            if column in spec.primary_key:
                raise ValueError(
                    f"tables.{spec.name}.erase.update.{column}: primary key; use delete"
                )
            if (spec.name, column) in targets:
                referrer = targets[(spec.name, column)]
                where = f"tables.{spec.name}.erase.update.{column}"
                raise ValueError(f"{where}: referenced by {referrer}")
        for ref in spec.parent_references:
            parent = tables[ref.table]
            keeps_link = (
                not spec.delete and spec.updates.get(ref.column) is not Strategy.NULL
            )
            if parent.delete and keeps_link:
                raise ValueError(
                    f"tables.{spec.name}.erase: {parent.name} rows are deleted, so "
                    f'delete these rows too or set {ref.column} to "null"'
                )


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a mapping")
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: column names must be non-empty strings")
    return value
