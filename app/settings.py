"""Settings from the environment and `.env`, validated once at start-up."""

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    static_dir: Path = PROJECT_ROOT / "static"
    access_log: bool = False

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must start with sqlite:/// or postgresql://")
        if scheme == "sqlite" and not sqlite_path(value):
            raise ValueError("sqlite URLs look like sqlite:///path/to/file.db")
        return value

    @property
    def effective_search_url(self) -> str:
        return self.search_url or self.database_url


def sqlite_path(url: str) -> str:
    """`sqlite:///rel.db` is relative to the working directory, `sqlite:////abs.db` absolute."""
    return url.removeprefix("sqlite://").removeprefix("/")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def describe_settings_error(error: ValidationError) -> str:
    """One line naming every bad setting, for people starting the service."""
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]).upper() or "settings"
        problems.append(f"{name}: {item['msg']}")
    return "invalid setting " + "; ".join(problems)
