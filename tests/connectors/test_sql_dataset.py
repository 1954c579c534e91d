"""Parsing and validating SQL dataset files (no database needed)."""

import re
from pathlib import Path

import pytest
import yaml

from connectors.base import ConfigError
from connectors.sql.dataset import Strategy, load_dataset, parse_dataset

CONTRACT_EXAMPLE = """
tables:
  users:
    identity: {email: email}
    primary_key: id
    erase: {update: {email: hash, name: "null", phone: "null"}}
  orders:
    references: {user_id: users.id}
    erase: {update: {shipping_address: redact}}
  events:
    references: {user_id: users.id}
    erase: delete
"""


def parse(text: str):
    return parse_dataset(yaml.safe_load(text))


def test_the_contract_example_parses_with_parents_first():
    dataset = parse(CONTRACT_EXAMPLE)

    assert dataset.order[0] == "users"
    assert set(dataset.order) == {"users", "orders", "events"}
    assert dataset.tables["users"].updates == {
        "email": Strategy.HASH,
        "name": Strategy.NULL,
        "phone": Strategy.NULL,
    }
    assert dataset.tables["events"].delete
    assert dataset.uses_hash


def test_references_are_followed_to_any_depth_in_dependency_order():
    dataset = parse("""
tables:
  c: {references: {a_id: a.id, b_id: b.id}, erase: delete}
  b: {references: {a_id: a.id}, erase: delete}
  a: {identity: {email: email}, erase: delete}
  d: {references: {c_id: c.id}, erase: delete}
""")

    position = {name: i for i, name in enumerate(dataset.order)}
    assert position["a"] < position["b"] < position["c"] < position["d"]


def test_a_self_reference_is_allowed_and_not_followed():
    dataset = parse("""
tables:
  users: {identity: {email: email}, references: {referred_by: users.id}}
""")

    spec = dataset.tables["users"]
    assert spec.parent_references == ()
    assert [ref.column for ref in spec.self_references] == ["referred_by"]


def test_a_reference_cycle_is_rejected_naming_it():
    with pytest.raises(
        ValueError, match=r"tables: reference cycle .*a.*b.*self-references"
    ):
        parse("""
tables:
  a: {identity: {email: email}, references: {b_id: b.id}}
  b: {references: {a_id: a.id}}
""")


def test_a_composite_primary_key_is_a_list():
    dataset = parse("""
tables:
  user_tags:
    identity: {email: email}
    primary_key: [user_id, tag]
    erase: {update: {note: random}}
""")

    assert dataset.tables["user_tags"].primary_key == ("user_id", "tag")


def test_an_unquoted_yaml_null_means_the_null_strategy():
    dataset = parse(
        "tables:\n  u: {identity: {email: email}, erase: {update: {name: null}}}"
    )

    assert dataset.tables["u"].updates == {"name": Strategy.NULL}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables: {}", "tables: at least one table"),
        (
            "tables: {u: {identity: {email: email}}}\nextra: 1",
            "expected a single top-level",
        ),
        (
            "tables: {u: {identity: {email: phone}}}",
            "tables.u.identity.email: unknown identity",
        ),
        (
            "tables: {u: {identity: {email: email}, colour: red}}",
            "tables.u.colour: unknown key",
        ),
        (
            "tables: {u: {identity: {email: email}, erase: {update: {n: blur}}}}",
            "tables.u.erase.update.n: unknown strategy 'blur'",
        ),
        (
            "tables: {u: {identity: {email: email}, erase: wipe}}",
            "tables.u.erase: expected",
        ),
        (
            "tables: {u: {identity: {email: email}}, o: {references: {u_id: user.id}}}",
            "tables.o.references.u_id: unknown table 'user'",
        ),
        (
            "tables: {u: {identity: {email: email}}, o: {references: {u_id: users}}}",
            "tables.o.references.u_id: expected 'table.column'",
        ),
        ("tables: {u: {identity: {email: email}}, o: {}}", "tables.o: not reached"),
        (
            "tables: {u: {identity: {email: email}, erase: {update: {email: hash}}}}",
            "tables.u.primary_key: required to hash",
        ),
        (
            "tables: {u: {identity: {email: email}, primary_key: id, "
            "erase: {update: {id: redact}}}}",
            "tables.u.erase.update.id: primary key",
        ),
        (
            "tables: {u: {identity: {email: email}, erase: {update: {id: redact}}}, "
            "o: {references: {u_id: u.id}}}",
            "tables.u.erase.update.id: referenced by o.u_id",
        ),
        (
            "tables: {u: {identity: {email: email}, erase: delete}, "
            "o: {references: {u_id: u.id}, erase: {update: {note: redact}}}}",
            'tables.o.erase: u rows are deleted, so delete these rows too or set u_id to "null"',
        ),
    ],
)
def test_invalid_datasets_fail_with_the_key_named(text, message):
    with pytest.raises(ValueError, match=r"^" + _escape(message)):
        parse(text)


def _escape(text: str) -> str:
    return re.escape(text)


def test_a_deleted_parent_is_fine_when_the_child_nulls_its_link():
    dataset = parse("""
tables:
  u: {identity: {email: email}, erase: delete}
  o: {references: {u_id: u.id}, erase: {update: {u_id: "null"}}}
""")

    assert dataset.tables["o"].updates == {"u_id": Strategy.NULL}


def test_load_dataset_names_the_file_in_errors(tmp_path: Path):
    path = tmp_path / "app_db.yaml"
    path.write_text("tables: {u: {identity: {email: fax}}}")

    with pytest.raises(ConfigError, match=rf"^{_escape(str(path))}: tables.u.identity"):
        load_dataset(path)


def test_load_dataset_reports_a_missing_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read dataset"):
        load_dataset(tmp_path / "missing.yaml")


def test_a_table_may_name_itself_its_category_and_columns_for_people():
    dataset = parse_dataset(
        {
            "tables": {
                "orders": {
                    "identity": {"email": "email"},
                    "label": "Orders",
                    "category": "Billing data",
                    "columns": {"total": "Total (EUR)"},
                }
            }
        }
    )
    spec = dataset.tables["orders"]
    assert (spec.label, spec.category) == ("Orders", "Billing data")
    assert spec.column_labels == {"total": "Total (EUR)"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"label": ""}, "tables.orders.label: expected a non-empty text"),
        (
            {"columns": {"total": 3}},
            "tables.orders.columns.total: expected a non-empty text",
        ),
        ({"columns": ["total"]}, "tables.orders.columns: expected a mapping"),
    ],
)
def test_bad_labels_are_named(body, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_dataset({"tables": {"orders": {"identity": {"email": "email"}, **body}}})
