"""Identity keys (domain.md, Personal data): a keyed hash of a national ID number, never the number."""

from __future__ import annotations

import hashlib
import hmac


def identity_key(secret: str, id_number: str) -> str:
    """HMAC-SHA256 of the normalised ID number under the deployment's secret, hex."""
    normalised = id_number.strip().upper()
    return hmac.new(secret.encode(), normalised.encode(), hashlib.sha256).hexdigest()
