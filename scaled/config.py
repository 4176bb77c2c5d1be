"""`SEARCH_URL` for a cluster: which client, which hosts, which credentials.

Kept apart from the client code so that settings can check the URL without
importing either search client (the embedded setup installs neither).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

KINDS = ("elasticsearch", "opensearch")
TRANSPORTS = ("own", "library")


@dataclass(frozen=True)
class ClusterConfig:
    kind: str
    """"elasticsearch" or "opensearch"."""
    hosts: list[str]
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    verify_certs: bool = True
    ca_file: str | None = None
    alias: str = "autocompeter"
    search_timeout: float = 1.0
    bulk_timeout: float = 30.0
    search_transport: str = "own"
    """OpenSearch searches: "own" (`scaled.transport`) or "library" (opensearch-py's aiohttp)."""


def parse_search_url(url: str, **options: Any) -> ClusterConfig:
    """`opensearch+https://user:pass@host:9200,host2:9200` -> a ClusterConfig."""
    parts = urlsplit(url)
    kind, _, transport = parts.scheme.partition("+")
    if kind not in KINDS or transport not in ("http", "https"):
        raise ValueError(
            "SEARCH_URL must look like opensearch+http://host:9200 or "
            "elasticsearch+https://host:9200"
        )
    # Several hosts may be given comma-separated after the credentials.
    netloc = parts.netloc.rpartition("@")[2]
    hosts = [f"{transport}://{host}" for host in netloc.split(",") if host]
    if not hosts:
        raise ValueError("SEARCH_URL names no host")
    return ClusterConfig(
        kind=kind,
        hosts=hosts,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        **options,
    )
