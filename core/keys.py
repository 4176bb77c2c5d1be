"""Auth keys: random, shown once, stored as a hash."""

import hashlib
import secrets
import string

# Letters and digits only: a key from token_urlsafe could start with "-", which
# a shell command line (`autocompeter keys revoke KEY`) takes for an option.
ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 32  # 32 * log2(62) = 190 bits
PREFIX_LENGTH = 8


def new_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def hash_key(key: str) -> str:
    # Keys are long random strings, so a fast hash is enough: there is no
    # dictionary to attack, and looking a key up stays cheap on every write.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    """The part of a key shown in listings, to tell keys apart."""
    return key[:PREFIX_LENGTH]
