"""Normalising the subject's email address for display and for matching."""

from email_validator import EmailNotValidError, validate_email

from app.errors import ValidationFailed


def normalise_email(raw: str) -> tuple[str, str]:
    """Return (display form, matching key): trimmed, domain lower-cased; the key is all lower-case.

    The local part keeps its case for display (RFC 5321 lets servers treat it as case-sensitive),
    while matching ignores case because people type their address inconsistently.
    """
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"email: {exc}") from None
    display = f"{result.local_part}@{result.domain.lower()}"
    return display, display.lower()


def is_valid_email(raw: str) -> bool:
    """Whether the address would be accepted by `normalise_email`."""
    try:
        normalise_email(raw)
    except ValidationFailed:
        return False
    return True
