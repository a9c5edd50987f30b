"""The one settings class, read from TRAWLER_* environment variables; defaults suit a laptop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api import ApiSettings
from browser_pool import BrowserPool
from engine import Endpoint, Models
from proxies import NetworkPolicy, ProxySettings
from trawler.logs import LogFormat
from worker import SchedulerSettings, WorkerSettings


class BrowserSettings(BaseModel):
    """`TRAWLER_BROWSER__*`: how a worker launches, shares and recycles Chromium."""

    executable: Path | None = Field(
        None, description="Chromium to launch; default: Playwright's own, else the system's."
    )
    sandbox: bool = Field(
        False,
        description="Launch Chromium with its own sandbox (as the worker image does). Needs a "
        "user other than root and unprivileged user namespaces (in Docker: the worker's "
        "security_opt in docker-compose.yml).",
    )
    max_pages: int = Field(8, ge=1, le=256, description="Pages open at once per browser.")
    browsers: int = Field(
        1, ge=1, le=32, description="Chromiums per worker; a crash or hang fails only its runs."
    )
    max_contexts: int | None = Field(
        None, ge=1, le=256, description="Runs (contexts) at once per browser; default: max_pages."
    )
    recycle_after_pages: int | None = Field(
        500, ge=1, description="Retire a browser after this many pages; empty: never."
    )
    recycle_context_after_pages: int | None = Field(
        150,
        ge=1,
        description="Renew a run's context between its pages after this many page loads "
        "(cookies and storage kept) to give renderer memory back; empty: never.",
    )
    max_memory_mb: int | None = Field(
        4096,
        ge=1,
        description="Retire a browser whose process tree passes this resident memory (sum of "
        "RSS, which counts shared pages once per process); empty: no limit.",
    )
    watchdog_interval: timedelta = Field(
        timedelta(seconds=5), description="How often memory is sampled and every page is pinged."
    )
    watchdog_timeout: timedelta | None = Field(
        timedelta(seconds=15),
        description="A page silent this long marks its browser hung: killed and replaced, its "
        "runs retried; empty: no hang check.",
    )
    lease_timeout: timedelta = Field(
        timedelta(minutes=2),
        description="How long a run waits for a browser context before it fails (retryable).",
    )

    def pool(self, *, headless: bool = True) -> BrowserPool:
        """A pool as these settings describe it."""
        return BrowserPool(
            headless=headless,
            executable=self.executable,
            max_pages=self.max_pages,
            browsers=self.browsers,
            max_contexts=self.max_contexts,
            recycle_after_pages=self.recycle_after_pages,
            recycle_context_after_pages=self.recycle_context_after_pages,
            max_memory_mb=self.max_memory_mb,
            watchdog_interval=self.watchdog_interval,
            watchdog_timeout=self.watchdog_timeout,
            lease_timeout=self.lease_timeout,
            sandbox=self.sandbox,
        )


class ArtifactSettings(BaseModel):
    """`TRAWLER_ARTIFACTS__*`: where screenshots and HTML snapshots are kept."""

    backend: Literal["local", "s3"] = Field("local", description="A directory, or S3.")
    path: Path = Field(Path("artifacts"), description="The directory of the local backend.")
    s3_bucket: str | None = Field(None, description="Bucket of the s3 backend.")
    s3_prefix: str = Field("", description="Key prefix inside the bucket.")
    s3_endpoint_url: str | None = Field(
        None, description="For S3-compatible stores (MinIO, Ceph, R2); empty for AWS."
    )
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(None, description="Default: boto3's credential chain.")
    s3_secret_access_key: SecretStr | None = None


class LlmSettings(BaseModel):
    """`TRAWLER_LLM__*`: the language models llm_extract nodes ask, by endpoint name."""

    default: Literal["ollama", "openai"] = Field(
        "ollama", description="The endpoint a node gets when it names none."
    )
    ollama_url: str | None = Field(
        "http://127.0.0.1:11434", description="An Ollama server; empty for none."
    )
    ollama_model: str = Field("llama3.2", description="Its default model.")
    ollama_context_tokens: int = Field(
        4096,
        ge=512,
        description="The context Ollama serves (its OLLAMA_CONTEXT_LENGTH; a model's own "
        "num_ctx wins).",
    )
    openai_base_url: str | None = Field(
        None,
        description="Any OpenAI-compatible API: https://api.openai.com/v1, "
        "https://openrouter.ai/api/v1, a vLLM or LM Studio server; empty for none.",
    )
    openai_api_key: SecretStr | None = None
    openai_model: str = Field("gpt-4o-mini", description="Its default model.")
    openai_context_tokens: int = Field(128_000, ge=512, description="Its model's context.")
    openai_mode: Literal["tools", "json"] = Field(
        "tools", description="tools: function calling; json: JSON mode, for servers without it."
    )

    def models(self) -> Models:
        endpoints: dict[str, Endpoint] = {}
        if self.ollama_url:
            endpoints["ollama"] = Endpoint(
                "ollama",
                self.ollama_url,
                self.ollama_model,
                context_tokens=self.ollama_context_tokens,
            )
        if self.openai_base_url:
            key = self.openai_api_key.get_secret_value() if self.openai_api_key else None
            endpoints["openai"] = Endpoint(
                "openai",
                self.openai_base_url,
                self.openai_model,
                api_key=key,
                context_tokens=self.openai_context_tokens,
                mode=self.openai_mode,
            )
        default = self.default if self.default in endpoints else next(iter(endpoints), None)
        return Models(endpoints, default)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRAWLER_", env_nested_delimiter="__", extra="ignore"
    )
    database_url: str = Field(
        "sqlite:///trawler.db",
        description="PostgreSQL (postgresql://...) in deployment; a SQLite file by default.",
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="The queue, live progress and rate limits. Run Redis with "
        "`maxmemory-policy noeviction`: an evicted key is a lost execution message.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Encrypts stored secrets (AES-256-GCM). Default: a random key kept in "
        "`secret_key_file`, created on first use.",
    )
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list, description="Old keys still accepted for reading, during rotation."
    )
    secret_key_file: Path = Field(Path("trawler.secret"), description="See `secret_key`.")
    allow_private_networks: bool = Field(
        False,
        description="Let bots reach loopback, private and link-local addresses (never cloud "
        "metadata). Off: a bot can be pointed at the network the workers run in.",
    )
    allowed_networks: list[str] = Field(
        default_factory=list,
        description='CIDRs ("10.1.0.0/16", "127.0.0.1") and host names ("intranet.example", '
        '"*.corp.example") bots may reach although the policy would refuse them.',
    )
    proxies: ProxySettings = Field(
        default_factory=ProxySettings,
        description="The deployment's upstream proxies (`TRAWLER_PROXIES__PROXIES`); an "
        "account's own proxies take their place for its runs.",
    )
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    artifacts: ArtifactSettings = Field(default_factory=ArtifactSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="The least severe records the services write (any case)."
    )
    log_format: LogFormat = Field(
        "auto",
        description="json: one JSON object a line (timestamp, level, logger, event, and "
        "execution_id and bot_id inside an execution); console: lines for people; auto: "
        "json unless stderr is a terminal.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("allowed_networks")
    @classmethod
    def _entries(cls, value: list[str]) -> list[str]:
        NetworkPolicy(allow=value)  # names the entry that is neither a CIDR nor a host name
        return value

    def network_policy(self) -> NetworkPolicy:
        """What bots may reach."""
        return NetworkPolicy(self.allow_private_networks, self.allowed_networks)
