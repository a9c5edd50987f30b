"""`TRAWLER_PROXIES__*`: the deployment's proxies and how the rotator treats them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from proxies._health import DEFAULT_BLOCK_MARKERS, DEFAULT_BLOCK_STATUSES
from proxies._proxy import Proxy

Strategy = Literal["round_robin", "random", "sticky_domain", "sticky_session", "tiered"]


class ProxyEntry(BaseModel):
    """One configured proxy; a bare URL string is accepted too."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: SecretStr = Field(description="http://, https:// or socks5://, with user:password@.")
    tags: frozenset[str] = Field(
        frozenset(), description="Labels a bot can ask for: datacenter, residential, country:de."
    )
    tier: int = Field(0, ge=0, description="Cost rank, 0 the cheapest (the tiered strategy).")

    @model_validator(mode="before")
    @classmethod
    def _bare_url(cls, value: Any) -> Any:
        # The URL is wrapped before any check sees it: a validation error prints its input,
        # and an enclosing settings class decides whether inputs are shown.
        if isinstance(value, str):
            return {"url": SecretStr(value)}
        if isinstance(value, dict) and isinstance(value.get("url"), str):
            return {**value, "url": SecretStr(value["url"])}
        return value

    @field_validator("url")
    @classmethod
    def _parses(cls, url: SecretStr) -> SecretStr:
        Proxy(url.get_secret_value())
        return url

    def proxy(self) -> Proxy:
        """The proxy, trusted: the operator put it there, maybe on a private network."""
        return Proxy(self.url.get_secret_value(), tags=self.tags, tier=self.tier, trusted=True)


class ProxySettings(BaseModel):
    """`TRAWLER_PROXIES__*`: how traffic leaves through the deployment's proxies, and how
    their health is judged."""

    model_config = ConfigDict(hide_input_in_errors=True)

    proxies: list[ProxyEntry] = Field(
        default_factory=list,
        description="Upstream proxies, http://, https:// or socks5://: "
        '["http://user:pw@host:port", {"url": ..., "tags": ["residential"], "tier": 1}]. '
        "Empty: connect directly. Trusted: they may be on a private network (an account's own "
        "proxies must pass the network policy).",
    )
    strategy: Strategy = Field(
        "round_robin",
        description="round_robin, random, sticky_domain (one proxy per site while it works), "
        "sticky_session (one per execution), tiered (cheapest tier first, the next one for a "
        "site that blocked it).",
    )
    cool_down_base: timedelta = Field(
        timedelta(seconds=10),
        description="Rest after a failure; doubles with each consecutive failure.",
    )
    cool_down_max: timedelta = Field(timedelta(minutes=10), description="Longest rest.")
    disable_after: int = Field(
        5, ge=1, description="Consecutive failures (errors or blocks) that disable a proxy."
    )
    de_escalate_after: int | None = Field(
        50,
        ge=1,
        description="tiered: successes on a higher tier after which a site tries the tier "
        "below again; null: never.",
    )
    block_statuses: frozenset[int] = Field(
        DEFAULT_BLOCK_STATUSES, description="HTTP statuses that mean the site blocked the proxy."
    )
    block_markers: tuple[str, ...] = Field(
        DEFAULT_BLOCK_MARKERS,
        description="Text that marks a challenge page (case-insensitive, anywhere in the body).",
    )

    @model_validator(mode="after")
    def _cool_down_order(self) -> Self:
        if self.cool_down_base <= timedelta(0):
            raise ValueError("cool_down_base must be positive")
        if self.cool_down_max < self.cool_down_base:
            raise ValueError("cool_down_max must be at least cool_down_base")
        return self

    def proxy_values(self) -> list[Proxy]:
        """The configured proxies as values, in order."""
        return [entry.proxy() for entry in self.proxies]
