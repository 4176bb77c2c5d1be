"""The one rule for domain names, wherever one enters: key creation, `d=`, load."""

import re
from functools import lru_cache

MAX_LENGTH = 253
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@lru_cache(maxsize=1024)  # every search names its domain; a worker serves few
def normalize_domain(value: str) -> str:
    """'Bücher.EXAMPLE.' -> 'xn--bcher-kva.example', or ValueError saying what is wrong.

    Lowercased and IDNA-encoded so that one site has one spelling, one trailing dot
    (the DNS root) dropped, then checked as a host name: letters, digits and
    hyphens in dot-separated labels of at most 63 characters, 253 in all.
    """
    name = value.removesuffix(".")
    if not name:
        raise ValueError("must be a host name such as example.com, not empty")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{value!r} is not a valid host name") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_LENGTH or not all(LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid host name (letters, digits, hyphens "
                         f"and dots, at most {MAX_LENGTH} characters)")
    return ascii_name
