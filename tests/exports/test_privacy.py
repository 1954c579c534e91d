"""privacy.yaml: the example loads, and every problem is one line naming the file and key."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.privacy import LegalBasis, PrivacyFileError, load_privacy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "privacy.example.yaml"


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "privacy.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(PrivacyFileError) as caught:
        load_privacy(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_the_example_file_loads():
    facts = load_privacy(EXAMPLE)
    assert facts.controller.name == "Brightmetric Analytics Ltd"
    assert facts.dpo is not None
    assert facts.supervisory_authority.name == "Data Protection Commission"
    assert {p.legal_basis for p in facts.purposes} >= {
        LegalBasis.CONTRACT,
        LegalBasis.CONSENT,
        LegalBasis.LEGITIMATE_INTERESTS,
    }
    assert facts.uses_consent


def test_a_minimal_file_loads(tmp_path):
    document = {
        "controller": {
            "name": "Acme",
            "address": "1 Road",
            "email": "privacy@example.com",
        },
        "categories": [{"name": "Contact details"}],
        "purposes": [
            {
                "name": "Service",
                "description": "Running your account.",
                "legal_basis": "contract",
                "categories": ["Contact details"],
            }
        ],
        "retention": [{"category": "Contact details", "period": "2 years"}],
        "supervisory_authority": {"name": "ICO", "url": "https://ico.org.uk"},
    }
    facts = load_privacy(write(tmp_path, document))
    assert facts.dpo is None
    assert facts.automated_decisions.exists is False
    assert facts.recipients == []
    assert not facts.uses_consent


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            _set(("purposes", 2, "legal_basis"), "legit"),
            "purposes[2].legal_basis: must be one of 'consent', 'contract', "
            "'legal_obligation', 'vital_interests', 'public_task' or "
            "'legitimate_interests' (got 'legit')",
        ),
        (_set(("controller", "email"), KeyError), "controller.email: required"),
        (
            _set(("controller", "adress"), "x"),
            "controller.adress: unknown key (check the spelling against "
            "privacy.example.yaml)",
        ),
        (_set(("supervisory_authority",), KeyError), "supervisory_authority: required"),
        (
            _set(("supervisory_authority", "url"), "javascript:alert(1)"),
            "supervisory_authority.url: must be a web address starting with "
            "https:// or http://",
        ),
        (
            _set(("recipients", 1, "role"), "partner"),
            "recipients[1].role: must be one of 'processor', 'controller' or "
            "'authority' (got 'partner')",
        ),
        (
            _set(("transfers", 0, "safeguard"), "privacy_shield"),
            "transfers[0].safeguard: must be one of 'adequacy', 'sccs', 'bcrs' or "
            "'derogation' (got 'privacy_shield')",
        ),
        (
            _set(("retention", 2), {"category": "Billing data"}),
            "retention[2]: needs a period or the criteria that decide it",
        ),
        (
            _set(("automated_decisions",), {"exists": True}),
            "automated_decisions: exists is true, so logic and significance are required",
        ),
        (_set(("purposes", 0, "name"), "   "), "purposes[0].name: must not be empty"),
        (
            _set(("purposes", 0, "categories"), []),
            "purposes[0].categories: must list at least one entry",
        ),
        (
            _set(("purposes", 1, "categories", 1), "Shoe size"),
            "purposes[1].categories[1]: unknown category 'Shoe size'",
        ),
        (
            _set(("retention", 3, "purpose"), "Newsletter"),
            "retention[3].purpose: unknown purpose 'Newsletter'",
        ),
        (_set(("recipients",), "everyone"), "recipients: expected a list"),
        (
            _set(("automated_decisions", "exists"), "maybe"),
            "automated_decisions.exists: must be true or false",
        ),
    ],
)
def test_each_problem_is_one_line_naming_file_and_key(tmp_path, change, line):
    document = example()
    change(document)
    path = write(tmp_path, document)
    assert problems_of(path) == [f"{path}: {line}"]


def test_several_problems_are_all_reported(tmp_path):
    document = example()
    document["purposes"][0]["legal_basis"] = "because"
    document["dpo"]["email"] = "not-an-address"
    path = write(tmp_path, document)
    problems = problems_of(path)
    assert len(problems) == 2
    assert problems[0].startswith(
        f"{path}: dpo.email: value is not a valid email address"
    )
    assert problems[1].startswith(f"{path}: purposes[0].legal_basis: must be one of")


def test_a_missing_file_says_to_copy_the_example(tmp_path):
    path = tmp_path / "privacy.yaml"
    [line] = problems_of(path)
    assert line.startswith(
        f"{path}: file not found; copy privacy.example.yaml to {path}"
    )


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "privacy.yaml"
    path.write_text("controller:\n  name: Acme\n  address: [unclosed\n")
    [line] = problems_of(path)
    assert line.startswith(f"{path}: invalid YAML at line ")


@pytest.mark.parametrize("content", ["", "- a list\n", "just text\n"])
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path, content):
    path = tmp_path / "privacy.yaml"
    path.write_text(content)
    [line] = problems_of(path)
    assert line.startswith(f"{path}: expected a mapping of keys")


def test_erasure_notices_name_the_connectors_they_need() -> None:
    facts = load_privacy(EXAMPLE)
    connectors = {
        recipient.erasure.connector
        for recipient in facts.recipients
        if recipient.erasure is not None and recipient.erasure.connector is not None
    }
    assert connectors  # the example tells one recipient through a connector

    assert facts.notices_without_connector(connectors) == []
    missing = facts.notices_without_connector(set())
    assert sorted(connector for _, connector in missing) == sorted(connectors)
    assert all(name for name, _ in missing)
