"""SQLAlchemy Core statements that reach, read and erase one subject's rows.

Reach is expressed in SQL, never as key lists in Python: a child table's rows are
selected with nested subqueries (`orders.user_id IN (SELECT users.id FROM users WHERE
lower(users.email) = lower(:email))`), so a person with millions of rows costs no
memory. Identifiers come from reflected `Table` objects (always quoted as needed) and
every value is a bound parameter.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from connectors.sql.dataset import Dataset, Reference, TableSpec


class Statements:
    """Statement builder for one subject over one reflected dataset."""

    def __init__(
        self, dataset: Dataset, tables: Mapping[str, Table], email: str
    ) -> None:
        self._dataset = dataset
        self._tables = tables
        self._email = email
        self._reach: dict[str, ColumnElement[bool]] = {}

    def table(self, name: str) -> Table:
        """The reflected table called `name`."""
        return self._tables[name]

    def reach(self, name: str) -> ColumnElement[bool]:
        """WHERE clause selecting the subject's rows of table `name`."""
        if name not in self._reach:
            self._reach[name] = self._build_reach(self._dataset.tables[name])
        return self._reach[name]

    def _build_reach(self, spec: TableSpec) -> ColumnElement[bool]:
        table = self._tables[spec.name]
        email = func.lower(literal(self._email, String()))
        conditions: list[ColumnElement[bool]] = [
            func.lower(table.c[column]) == email for column in spec.identity
        ]
        conditions += [
            table.c[ref.column].in_(self._parent_values(ref))
            for ref in spec.parent_references
        ]
        return or_(*conditions) if conditions else false()

    def _parent_values(self, ref: Reference) -> Select[Any]:
        parent = self._tables[ref.table]
        # correlate(None): the subquery keeps its own FROM even inside a statement on
        # the same table (the self-reference unlink below).
        return select(parent.c[ref.target]).where(self.reach(ref.table)).correlate(None)

    def access(self, name: str) -> Select[Any]:
        """Every column of the subject's rows of `name`."""
        return select(self._tables[name]).where(self.reach(name))

    def delete(self, name: str) -> Delete:
        """Delete the subject's rows of `name`."""
        return delete(self._tables[name]).where(self.reach(name))

    def unlink(self, name: str, ref: Reference) -> Update:
        """Clear a self-reference in rows pointing at the subject's rows of `name`."""
        table = self._tables[name]
        column = table.c[ref.column]
        return (
            update(table)
            .where(column.in_(self._parent_values(ref)))
            .values({column: None})
        )

    def update_all(self, name: str, values: Mapping[str, object]) -> Update:
        """Set `values` (column name → value) in all the subject's rows of `name`."""
        table = self._tables[name]
        return (
            update(table)
            .where(self.reach(name))
            .values({table.c[col]: value for col, value in values.items()})
        )

    def page(
        self, name: str, columns: Sequence[str], after: Sequence[Any] | None, size: int
    ) -> Select[Any]:
        """The next `size` rows (key, then `columns`) after key `after`, key order."""
        table = self._tables[name]
        key = [table.c[column] for column in self._dataset.tables[name].primary_key]
        statement = select(*key, *(table.c[column] for column in columns)).where(
            self.reach(name)
        )
        if after is not None:
            bound = [
                literal(value, column.type)
                for value, column in zip(after, key, strict=True)
            ]
            statement = statement.where(
                key[0] > bound[0] if len(key) == 1 else tuple_(*key) > tuple_(*bound)
            )
        return statement.order_by(*key).limit(size)

    def update_row(self, name: str, columns: Sequence[str]) -> Update:
        """UPDATE one row by primary key; parameters `k0…` (key), `v0…` (new values)."""
        table = self._tables[name]
        key = self._dataset.tables[name].primary_key
        # Parameter names are ours (k0, v0…), never column names, which may be anything.
        where = and_(
            *(table.c[column] == bindparam(f"k{i}") for i, column in enumerate(key))
        )
        return (
            update(table)
            .where(where)
            .values({table.c[col]: bindparam(f"v{i}") for i, col in enumerate(columns)})
        )
