"""Replacement values for `erase: {update: ...}` strategies.

`redact` writes the marker `[erased]`; `hash` writes the hex HMAC-SHA256 of the old
value (as text) keyed with the connector's `hash_key`, so equal inputs still join after
erasure but cannot be reversed or confirmed without the key; `random` writes a fresh
random token. NULL stays NULL. A value longer than the column's declared length is
truncated to fit: 16 or more hex characters of an HMAC still do not collide in practice,
and a failed erasure would be worse.
"""

import hashlib
import hmac
import secrets

from connectors.sql.dataset import Strategy

REDACTED = "[erased]"


class Masker:
    """Computes the new value of a column for one row."""

    def __init__(self, hash_key: bytes | None) -> None:
        self._hash_key = hash_key

    def value(self, strategy: Strategy, old: object, length: int | None) -> str | None:
        """The replacement for `old` under `strategy`, fitted to `length` characters."""
        if strategy is Strategy.NULL:
            return None
        if strategy is Strategy.REDACT:
            new = REDACTED
        elif strategy is Strategy.RANDOM:
            new = secrets.token_hex(16)
        elif old is None:
            return None
        else:
            new = self._hash(old)
        return new[:length] if length else new

    def _hash(self, old: object) -> str:
        if self._hash_key is None:
            raise ValueError("hash_key is required to hash columns")
        data = old if isinstance(old, bytes) else str(old).encode()
        return hmac.new(self._hash_key, data, hashlib.sha256).hexdigest()
