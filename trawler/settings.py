"""The one settings class, read from TRAWLER_* environment variables; defaults suit a laptop."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BrowserSettings(BaseModel):
    executable: Path | None = Field(
        None, description="Chromium to launch; default: Playwright's own, else the system's."
    )
    max_pages: int = Field(8, ge=1, le=256, description="Pages open at once per browser.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRAWLER_", env_nested_delimiter="__", extra="ignore"
    )
    database_url: str = Field(
        "sqlite:///trawler.db",
        description="PostgreSQL (postgresql://...) in deployment; a SQLite file by default.",
    )
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
