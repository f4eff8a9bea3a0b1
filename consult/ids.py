"""Opaque global IDs: base64url of "Type:pk", as Relay clients expect."""

from __future__ import annotations

import base64
import binascii


def to_global_id(type_name: str, pk: int) -> str:
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """Decode a global ID, or None when it is not one of ours."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > 100:
        return None
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    # Only the canonical form we issue: ASCII digits ("²".isdigit() is true but int() refuses it,
    # "٣" would alias 3), no leading zeros, and small enough for a BIGINT key.
    if not sep or not type_name or not (pk.isascii() and pk.isdigit()) or len(pk) > 18 or pk != str(int(pk)):
        return None
    return type_name, int(pk)


def expect_id(global_id: str, type_name: str) -> int | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
