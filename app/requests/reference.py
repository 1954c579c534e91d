"""Ticket references: `DSR-` and 8 characters that cannot be guessed or misread."""

import re
import secrets

# No 0/O or 1/I/L: references are read aloud on the phone and typed from letters.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
PATTERN = re.compile(rf"\bDSR-[{ALPHABET}]{{{LENGTH}}}\b", re.IGNORECASE)


def new_reference() -> str:
    """A fresh random reference (40 bits from a CSPRNG)."""
    return "DSR-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_reference(value: str) -> bool:
    """Whether `value` is exactly a well-formed reference."""
    return PATTERN.fullmatch(value.upper()) is not None
