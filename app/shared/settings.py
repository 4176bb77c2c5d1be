"""Settings from the environment and `.env`, validated once at start-up."""

import sys
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.shared.validation import describe
from core.ranking import CLICK_BOOST, CLICK_HALF
from scaled.config import parse_search_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_static_dir() -> Path:
    """The checkout's static/, or the copy a wheel installs under sys.prefix."""
    checkout = PROJECT_ROOT / "static"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share/autocompeter/static"



class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///autocompeter.db"
    search_url: str | None = None
    """Where searches go; unset means the embedded FTS5 index in DATABASE_URL."""
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    max_bulk_documents: int = Field(10_000, ge=1)
    stats_flush_seconds: float = Field(5.0, gt=0, le=3600)
    static_dir: Path = Field(default_factory=default_static_dir)
    access_log: bool = False
    """One log line per request: method, path, status, milliseconds, request id."""
    log_format: Literal["text", "json"] = "text"
    response_cache_bytes: int = Field(12 * 1024 * 1024, ge=0)
    """Bytes of cached search answers per worker (estimated); 0 turns the cache off."""
    memory_index_bytes: int = Field(64 * 1024 * 1024, ge=0)
    """Embedded engine: bytes of in-memory indexes per worker; 0 leaves every search to FTS5."""
    search_rate_limit: str = "50/second"
    """Searches per client address and worker, e.g. '50/second'; 'off' for none."""
    search_time_budget: str = "250/second"
    """Milliseconds of engine time the searches of one client address may take per
    worker, e.g. '250/second' (a quarter of the worker); 'off' for none."""
    write_rate_limit: str = "20/second"
    """Write requests per domain and worker; a bulk counts once."""
    click_ranking: Literal["on", "off"] = "on"
    """on: titles clicked from the widget rise within their tier (README, "Click
    feedback"); off: clicks are still counted for /v1/stats, the order is the popularity's."""
    click_boost: float = Field(CLICK_BOOST, gt=0, le=10)
    """The most clicks can add to a title's popularity, as a share of it (of 1 for
    popularities between -1 and 1)."""
    click_half: float = Field(CLICK_HALF, gt=0)
    """Clicks in the window that give half of CLICK_BOOST."""
    click_ranking_seconds: float = Field(60.0, gt=0, le=86400)
    """How often each worker moves the titles its newly written clicks changed."""
    trusted_proxies: int = Field(0, ge=0, le=10)
    """How many reverse proxies (nginx, a load balancer) stand in front of the
    service. With 0, X-Forwarded-For is ignored, since anyone could send it; with
    N, the client address is the Nth from the end of that header, so rate limits
    count visitors rather than the proxy."""

    # -- scaled out: PostgreSQL + Elasticsearch/OpenSearch (docs/scaling.md) --
    database_pool_size: int = Field(10, ge=1, le=1000)
    database_timeout_seconds: float = Field(5.0, gt=0)
    search_index: str = Field("autocompeter", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    """The alias searches use; indexes are named SEARCH_INDEX-<timestamp>."""
    search_api_key: str | None = None
    search_verify_certs: bool = True
    search_ca_file: Path | None = None
    search_timeout_seconds: float = Field(1.0, gt=0)
    """Per search request, no retries: past it the visitor gets a 503."""
    search_bulk_timeout_seconds: float = Field(30.0, gt=0)
    search_transport: Literal["own", "library"] = "own"
    """OpenSearch searches over scaled/transport.py (own) or opensearch-py's aiohttp
    connection (library); docs/scaling.md, "Search transport: decided on evidence"."""
    indexer_in_serve: bool = True
    """Run a sync worker in every `serve` worker; off when `autocompeter indexer` runs."""
    indexer_batch_size: int = Field(500, ge=1, le=10_000)
    indexer_poll_seconds: float = Field(1.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must start with sqlite:/// or postgresql://")
        if scheme == "sqlite" and not sqlite_path(value):
            raise ValueError("sqlite URLs look like sqlite:///path/to/file.db")
        return value

    @field_validator("search_rate_limit", "search_time_budget", "write_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError:
            raise ValueError("write it as '50/second', '1000/minute' or 'off'") from None
        return value

    @field_validator("search_url")
    @classmethod
    def _known_engine(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if urlsplit(value).scheme != "sqlite":
            parse_search_url(value)  # its ValueError says what a cluster URL looks like
        return value

    @property
    def embedded(self) -> bool:
        """SQLite holds the titles: the embedded setup."""
        return urlsplit(self.database_url).scheme == "sqlite"

    @property
    def effective_search_url(self) -> str:
        return self.search_url or self.database_url


def parse_limit(text: str) -> RateLimitItem | None:
    """'50/second', '1000 per minute'; 'off' or '' for no limit. ValueError otherwise.

    Here, not beside the rate limiter (app/http/ratelimit.py), because settings check
    the limits they are given when they are loaded, by the command line too."""
    if text.strip().lower() in ("", "off", "none", "0"):
        return None
    return parse(text)


def sqlite_path(url: str) -> str:
    """`sqlite:///rel.db` is relative to the working directory, `sqlite:////abs.db` absolute."""
    return url.removeprefix("sqlite://").removeprefix("/")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def describe_settings_error(error: ValidationError) -> str:
    """One line naming every bad setting, for people starting the service."""
    return "invalid setting " + describe(error, whole="settings", name=str.upper)
