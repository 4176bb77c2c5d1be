"""Auth keys: random, shown once, stored as a hash."""

import hashlib
import secrets

KEY_BYTES = 24  # 192 bits
PREFIX_LENGTH = 8


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def hash_key(key: str) -> str:
    # Keys are long random strings, so a fast hash is enough: there is no
    # dictionary to attack, and looking a key up stays cheap on every write.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    """The part of a key shown in listings, to tell keys apart."""
    return key[:PREFIX_LENGTH]
