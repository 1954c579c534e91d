"""The controller's facts for responses (`privacy.yaml`): who we are, why and how we use data.

Art. 15(1) GDPR says an access response carries, beside the copy of the data, the purposes,
the categories of data, the recipients, the retention period or its criteria, the rights to
rectify, erase, restrict and object, the right to complain to a supervisory authority, the
source of data not collected from the person, automated decision-making and, for transfers out
of the EEA, the safeguards (Art. 15(2)). None of these can be read from the systems that hold
the data, so the controller writes them down once here. `load_privacy` validates the file and
reports every problem as one line naming the file and the key, e.g.
`privacy.yaml: purposes[2].legal_basis: must be one of …`.
"""

from collections.abc import Collection
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    model_validator,
)

__all__ = [
    "AuthorityFacts",
    "AutomatedDecisions",
    "Category",
    "ControllerFacts",
    "DpoFacts",
    "LegalBasis",
    "PrivacyFacts",
    "PrivacyFileError",
    "Purpose",
    "Recipient",
    "RecipientRole",
    "Retention",
    "RightsText",
    "Safeguard",
    "Transfer",
    "load_privacy",
]

EXAMPLE_FILE = "privacy.example.yaml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class LegalBasis(StrEnum):
    """The six lawful bases of GDPR Art. 6(1)(a)-(f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class RecipientRole(StrEnum):
    """How a recipient stands to us: processes for us, decides for itself, or is an authority."""

    PROCESSOR = "processor"
    CONTROLLER = "controller"
    AUTHORITY = "authority"


class Safeguard(StrEnum):
    """What makes a transfer out of the EEA lawful (GDPR Art. 45, 46(2)(c), 47, 49)."""

    ADEQUACY = "adequacy"
    SCCS = "sccs"
    BCRS = "bcrs"
    DEROGATION = "derogation"


class _Facts(BaseModel):
    # A misspelt key would silently drop a fact the law requires: refuse unknown keys.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ControllerFacts(_Facts):
    """The organisation responsible for the data (Art. 13(1)(a))."""

    name: Text
    address: Text
    email: EmailStr
    website: HttpUrl | None = None


class DpoFacts(_Facts):
    """The data protection officer, when one is appointed (Art. 37-39)."""

    name: Text | None = None
    email: EmailStr


class Category(_Facts):
    """A category of personal data, e.g. "Contact details"."""

    name: Text
    description: Text | None = None


class Purpose(_Facts):
    """Why data is used and on which lawful basis; `categories` name declared categories."""

    name: Text
    description: Text
    legal_basis: LegalBasis
    # Art. 13(1)(d): a legitimate-interests basis should say which interest it is.
    basis_details: Text | None = None
    categories: list[Text] = Field(min_length=1)


class ErasureNotice(_Facts):
    """How a recipient learns of an erasure (GDPR Art. 19): exactly one way.

    `connector`: a connector reaches its system, and that erasure is the notice (a `manual`
    connector makes it a staff task); `email`: its privacy contact is told by mail, a
    tracked message in the outbox; `exempt`: it is not told, for the reason given (an
    authority, a controller that must keep the data by law, Art. 17(3)(b), or a notice
    that proves impossible or would involve disproportionate effort).
    """

    connector: Text | None = None
    email: Text | None = None
    exempt: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [way for way in ("connector", "email", "exempt") if getattr(self, way)]
        if len(given) != 1:
            raise ValueError("give exactly one of connector, email or exempt")
        if self.email is not None and not _looks_like_address(self.email):
            raise ValueError(f"email: {self.email!r} is not an email address")
        return self

    @property
    def way(self) -> str:
        """connector, email or exempt."""
        return "connector" if self.connector else "email" if self.email else "exempt"


def _looks_like_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in value))


class Recipient(_Facts):
    """Someone the data is disclosed to, named (EDPB 01/2022 prefers identities to kinds)."""

    name: Text
    role: RecipientRole
    purpose: Text
    country: Text
    # Without it an erasure reports, truthfully, that the recipient was not told.
    erasure: ErasureNotice | None = None


class Retention(_Facts):
    """How long a category or a purpose's data is kept: a period, the criteria, or both."""

    category: Text | None = None
    purpose: Text | None = None
    period: Text | None = None
    criteria: Text | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.category is None and self.purpose is None:
            raise ValueError("needs a category or a purpose it applies to")
        if self.period is None and self.criteria is None:
            raise ValueError("needs a period or the criteria that decide it")
        return self


class AutomatedDecisions(_Facts):
    """Automated decision-making with legal or similar effects (Art. 22), if any."""

    exists: bool
    logic: Text | None = None
    significance: Text | None = None

    @model_validator(mode="after")
    def _explained(self) -> Self:
        # Art. 15(1)(h): when it exists, the logic and the consequences must be explained.
        if self.exists and (self.logic is None or self.significance is None):
            raise ValueError("exists is true, so logic and significance are required")
        return self


class Transfer(_Facts):
    """A transfer of data to a third country and its safeguard (Art. 15(2))."""

    country: Text
    safeguard: Safeguard
    details: Text | None = None


class AuthorityFacts(_Facts):
    """The supervisory authority a person may complain to (Art. 77), named."""

    name: Text
    url: HttpUrl
    address: Text | None = None
    email: EmailStr | None = None


class RightsText(_Facts):
    """Optional wording replacing the default explanation of each right."""

    rectification: Text | None = None
    erasure: Text | None = None
    restriction: Text | None = None
    objection: Text | None = None
    portability: Text | None = None
    withdraw_consent: Text | None = None
    complaint: Text | None = None


class PrivacyFacts(_Facts):
    """Everything `privacy.yaml` declares, validated and cross-checked."""

    controller: ControllerFacts
    dpo: DpoFacts | None = None
    categories: list[Category] = Field(min_length=1)
    purposes: list[Purpose] = Field(min_length=1)
    recipients: list[Recipient] = []
    retention: list[Retention] = Field(min_length=1)
    source: Text | None = None
    automated_decisions: AutomatedDecisions = AutomatedDecisions(exists=False)
    transfers: list[Transfer] = []
    supervisory_authority: AuthorityFacts
    rights: RightsText = RightsText()

    @model_validator(mode="after")
    def _references_exist(self) -> Self:
        problems = [*self._unknown_categories(), *self._unknown_retention_targets()]
        if problems:
            raise _CrossReferenceError(problems)
        return self

    def _unknown_categories(self) -> list[tuple[tuple[str | int, ...], str]]:
        known = {category.name for category in self.categories}
        return [
            (("purposes", p, "categories", c), f"unknown category {name!r}")
            for p, purpose in enumerate(self.purposes)
            for c, name in enumerate(purpose.categories)
            if name not in known
        ]

    def _unknown_retention_targets(self) -> list[tuple[tuple[str | int, ...], str]]:
        categories = {category.name for category in self.categories}
        purposes = {purpose.name for purpose in self.purposes}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, rule in enumerate(self.retention):
            if rule.category is not None and rule.category not in categories:
                message = f"unknown category {rule.category!r}"
                problems.append((("retention", index, "category"), message))
            if rule.purpose is not None and rule.purpose not in purposes:
                message = f"unknown purpose {rule.purpose!r}"
                problems.append((("retention", index, "purpose"), message))
        return problems

    def notices_without_connector(
        self, configured: Collection[str]
    ) -> list[tuple[str, str]]:
        """(recipient, connector) for each erasure notice naming no configured connector.

        Each erasure would report such a recipient as not told.
        """
        return [
            (recipient.name, recipient.erasure.connector)
            for recipient in self.recipients
            if recipient.erasure is not None
            and recipient.erasure.connector is not None
            and recipient.erasure.connector not in configured
        ]

    @property
    def uses_consent(self) -> bool:
        """True when a purpose relies on consent, which can then be withdrawn (Art. 7(3))."""
        return any(p.legal_basis is LegalBasis.CONSENT for p in self.purposes)


class PrivacyFileError(ValueError):
    """`privacy.yaml` is missing or invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _CrossReferenceError(ValueError):
    """Carries several located problems out of a model validator."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def load_privacy(path: Path | str) -> PrivacyFacts:
    """Read and validate `privacy.yaml`; raise PrivacyFileError listing every problem."""
    path = Path(path)
    label = str(path)
    document = _read(path, label)
    try:
        return PrivacyFacts.model_validate(document)
    except ValidationError as exc:
        raise PrivacyFileError(_describe(exc, label)) from None


def _read(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = (
            f"{label}: file not found; copy {EXAMPLE_FILE} to {label} and replace its "
            "fictional facts with your organisation's (or point DSR_PRIVACY_FILE at yours)"
        )
        raise PrivacyFileError([message]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PrivacyFileError([f"{label}: cannot read file: {exc}"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise PrivacyFileError([f"{label}: invalid YAML{where}: {problem}"]) from None
    if not isinstance(document, dict):
        message = f"{label}: expected a mapping of keys such as controller and purposes (see {EXAMPLE_FILE})"
        raise PrivacyFileError([message])
    return document


def _describe(exc: ValidationError, label: str) -> list[str]:
    """One line per pydantic error: `<file>: <key path>: <what is wrong>`."""
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        context = error.get("ctx") or {}
        cause = context.get("error")
        if isinstance(cause, _CrossReferenceError):
            lines.extend(
                f"{label}: {_key_path((*error['loc'], *loc))}: {message}"
                for loc, message in cause.problems
            )
            continue
        lines.append(f"{label}: {_key_path(error['loc'])}: {_message(error)}")
    return lines


def _key_path(loc: tuple[str | int, ...]) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return path.removeprefix(".") or "(top level)"


def _message(error: Any) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against privacy.example.yaml)"
    if kind == "enum":
        return f"must be one of {context['expected']} (got {error['input']!r})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return "must list at least one entry"
    if kind.startswith("url_"):
        return "must be a web address starting with https:// or http://"
    if kind == "value_error" and "error" in context:
        # A ValueError from our validators or the email check: its text is the explanation.
        return str(context["error"])
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "expected a mapping of keys"
    if kind == "list_type":
        return "expected a list"
    if kind in {"bool_type", "bool_parsing"}:
        return "must be true or false"
    if kind == "string_type":
        return "expected text"
    return str(error["msg"])


@lru_cache(maxsize=4)
def _cached(path: Path, modified: float) -> PrivacyFacts:
    return load_privacy(path)


def facts_for(path: Path) -> PrivacyFacts:
    """The validated facts of `path`, re-read only when the file changes."""
    try:
        modified = path.stat().st_mtime
    except OSError:
        return load_privacy(path)  # raises the "copy privacy.example.yaml" error
    return _cached(path.resolve(), modified)
