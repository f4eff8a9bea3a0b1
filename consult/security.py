"""Secrets: password hashes, session tokens, invitation codes, sealed ballots."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SESSION_COOKIE = "consult_session"
# Beside the HttpOnly session cookie, a random tag scripts can read: it tells the resident page
# whether the copy it kept on this phone was drawn for the session signed in now. It proves
# nothing and opens nothing; a new sign-in, a sign-out or an expiry changes or removes it.
SESSION_TAG_COOKIE = "consult_tag"

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("consult-timing-equalizer")

# No 0/O, 1/I/L: the code is read off paper by elderly residents and typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31^12 ≈ 7.9e17, about 59 bits


def set_session_cookies(response: object, token: str, *, max_age: int, secure: bool) -> None:
    """The session cookie (HttpOnly) and its readable tag, set together on any response that signs in."""
    common = {"max_age": max_age, "samesite": "lax", "secure": secure, "path": "/"}
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)  # type: ignore[attr-defined]
    response.set_cookie(SESSION_TAG_COOKIE, secrets.token_urlsafe(9), httponly=False, **common)  # type: ignore[attr-defined]


def clear_session_cookies(response: object) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")  # type: ignore[attr-defined]
    response.delete_cookie(SESSION_TAG_COOKIE, path="/")  # type: ignore[attr-defined]


def set_password_cost(*, time_cost: int, memory_kib: int) -> None:
    """Change the argon2 cost for new hashes. The test suite lowers it to create accounts quickly."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("consult-timing-equalizer")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough to make the table useless.
    return hashlib.sha256(token.encode()).hexdigest()


def new_invitation_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code: str) -> str:
    """What a person types: any case, with or without spaces and dashes, full-width or not.

    NFKC turns the full-width letters and digits a Chinese input method produces into ASCII.
    """
    return "".join(ch for ch in unicodedata.normalize("NFKC", code).upper() if ch.isascii() and ch.isalnum())


def invitation_digest(secret_key: str, code: str) -> str:
    # Keyed, so a copy of the database alone cannot test guesses offline.
    return hmac.new(secret_key.encode(), b"invitation:" + normalize_code(code).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- sealed ballots


def _seal_key(secret_key: str) -> bytes:
    """The AES-256 key for sealed ballots, derived from the server key for this use alone."""
    return hmac.new(secret_key.encode(), b"consult:ballot-seal:v1", hashlib.sha256).digest()


def seal(secret_key: str, bound_to: str, content: dict, pad_to: int = 0) -> str:
    """`content` encrypted and authenticated (AES-256-GCM) under the server key.

    `bound_to` names the row the seal belongs to: a seal copied onto another row fails to open.
    `pad_to` pads the JSON with spaces to at least that many bytes, so that seals of the same
    kind have one length whatever their numbers say (AES-GCM hides content, not length).
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    plain = json.dumps(content, separators=(",", ":")).encode().ljust(pad_to)
    sealed = AESGCM(_seal_key(secret_key)).encrypt(nonce, plain, bound_to.encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(secret_key: str, bound_to: str, sealed: str) -> dict:
    """What `seal` sealed; ValueError when the seal was altered, moved or made under another key."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.b64decode(sealed, validate=True)
        opened = AESGCM(_seal_key(secret_key)).decrypt(raw[:12], raw[12:], bound_to.encode())
    except (InvalidTag, ValueError) as error:
        raise ValueError("a sealed ballot does not open under this server key") from error
    content: dict = json.loads(opened)
    return content
