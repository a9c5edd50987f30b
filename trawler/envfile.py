"""`.env.example`: every TRAWLER_* setting with its description and default, read off
`Settings`, so a new setting cannot be left out of the deployment's documentation."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from trawler.settings import Settings

HEAD = """\
# trawler's settings for docker-compose.yml: `cp .env.example .env`, then edit .env.
# Compose reads this file for the values it interpolates, and hands every line of it to the
# trawler services. Lines starting with `#` show a setting's default; uncomment to change.
# Durations are ISO 8601 (PT30S) or HH:MM:SS; lists and tables are JSON.

# --- docker-compose.yml's own variables -------------------------------------------------
# The project's name: containers, networks and volumes are named after it.
COMPOSE_PROJECT_NAME=trawler
# Required: the database password (URL-safe characters only; it goes into a URL).
POSTGRES_PASSWORD=
#POSTGRES_USER=trawler
#POSTGRES_DB=trawler
# The host port of the API (and of the web pages), and the images' tag.
#API_PORT=8080
#IMAGE_TAG=latest
# The API trusts X-Forwarded-For from these addresses (a reverse proxy in front of it).
#FORWARDED_ALLOW_IPS=127.0.0.1,::1
# With --profile monitoring: Prometheus and Grafana on loopback, Grafana's admin password.
#PROMETHEUS_PORT=9090
#GRAFANA_PORT=3000
#GRAFANA_ADMIN_PASSWORD=change-me
"""

REQUIRED = {"TRAWLER_SECRET_KEY"}
"""Settings docker-compose.yml refuses to start without; they are not commented out."""
SET_BY_COMPOSE = {
    "TRAWLER_DATABASE_URL",
    "TRAWLER_REDIS_URL",
    "TRAWLER_ARTIFACTS__PATH",
    "TRAWLER_LOG_FORMAT",
    "TRAWLER_LLM__OLLAMA_URL",
}
"""Settings docker-compose.yml gives the services itself (its `environment` wins)."""


def _section(info: FieldInfo) -> type[BaseModel] | None:
    kind = info.annotation
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def settings_fields(
    model: type[BaseModel] = Settings, prefix: str = "TRAWLER_"
) -> Iterator[tuple[str, FieldInfo]]:
    """Each setting's environment variable and field: the model's own first, then each nested
    section's (`TRAWLER_SECTION__NAME`)."""
    fields = model.model_fields.items()
    for name, info in fields:
        if _section(info) is None:
            yield prefix + name.upper(), info
    for name, info in fields:
        if (section := _section(info)) is not None:
            yield from settings_fields(section, f"{prefix}{name.upper()}__")


def _value(info: FieldInfo) -> str:
    default: Any = info.get_default(call_default_factory=True)
    if default is None:
        return ""
    plain = TypeAdapter[Any](info.annotation or Any).dump_python(default, mode="json")
    return plain if isinstance(plain, str) else json.dumps(plain, separators=(",", ":"))


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, 94, initial_indent="# ", subsequent_indent="# ")


def render() -> str:
    """The whole `.env.example`."""
    lines = [HEAD]
    sections = {"TRAWLER": "TRAWLER_*: connections, secrets, the network policy, logs."}
    for name, info in Settings.model_fields.items():
        if (section := _section(info)) is not None:
            head = f"TRAWLER_{name.upper()}"
            summary = (section.__doc__ or "").strip().partition("\n")[0]
            summary = summary.removeprefix(f"`{head}__*`: ")
            sections[head] = f"{head}__*: {summary}" if summary else f"{head}__*"
    current = ""
    for variable, info in settings_fields():
        head = variable.rsplit("__", 1)[0] if "__" in variable else "TRAWLER"
        if head != current:
            current = head
            lines += ["", f"# --- {sections[head]} ".ljust(92, "-")]
        notes = [info.description or ""]
        if variable in SET_BY_COMPOSE:
            notes.append("docker-compose.yml sets it for its services.")
        if variable in REQUIRED:
            notes.append("Required by docker-compose.yml.")
        lines += _comment(" ".join(n for n in notes if n))
        comment = "" if variable in REQUIRED else "#"
        lines.append(f"{comment}{variable}={'' if variable in REQUIRED else _value(info)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m trawler.envfile > .env.example
    print(render(), end="")
