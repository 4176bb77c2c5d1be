"""The FTS5 rowid of a title, its *rank key*: the domain, then the popularity (most
popular first), then the order of writing (`embedded.engine`'s docstring says why)."""

import struct

DOMAIN_BITS = 20
POPULARITY_BITS = 20
SEQUENCE_BITS = 23
MAX_DOMAIN_ID = (1 << DOMAIN_BITS) - 1
MAX_SEQUENCE = 1 << SEQUENCE_BITS
FLOAT32_MAX = 3.4028234663852886e38
# Among more equally popular matches than this at the cut-off, the earliest
# written win, so a one-letter query on a corpus without popularity stays fast.
MAX_TIE_ROWS = 500


def popularity_key(popularity: float) -> int:
    """A key of POPULARITY_BITS that sorts the most popular first (about 3 digits)."""
    clamped = max(-FLOAT32_MAX, min(FLOAT32_MAX, popularity))
    (bits,) = struct.unpack(">I", struct.pack(">f", clamped))
    ascending = bits ^ 0xFFFFFFFF if bits & 0x80000000 else bits | 0x80000000
    return (0xFFFFFFFF - ascending) >> (32 - POPULARITY_BITS)


def rank_key(domain_id: int, popularity: float, sequence: int) -> int:
    """The FTS5 rowid of a title; see the module docstring."""
    if not 0 < domain_id <= MAX_DOMAIN_ID:
        raise ValueError(f"domain id {domain_id} does not fit in a rank key")
    return (domain_id << (POPULARITY_BITS + SEQUENCE_BITS)
            | popularity_key(popularity) << SEQUENCE_BITS
            | sequence)


def domain_range(domain_id: int) -> tuple[int, int]:
    shift = POPULARITY_BITS + SEQUENCE_BITS
    return domain_id << shift, (domain_id + 1) << shift
