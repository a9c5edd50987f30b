"""docker-compose.yml read as Compose reads it: YAML with anchors and merge keys, variables
interpolated from a `.env`, each service's environment from `env_file` then `environment`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<plain>[A-Za-z_]\w*)|"
    r"\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class Unset(ValueError):
    """A `${NAME:?error}` variable is missing: Compose refuses to start with the message."""


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments and blank lines skipped, as Compose reads `.env`."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["plain"] or match["braced"]
        found = env.get(name)
        op, arg = match["op"], match["arg"] or ""
        empty = found is None or (found == "" and op is not None and op.startswith(":"))
        if op and op.endswith("-") and empty:
            return interpolate(arg, env)
        if op and op.endswith("?") and empty:
            raise Unset(f"{name}: {arg}")
        return found or ""

    return VARIABLE.sub(one, value)


def _walk(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_walk(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _walk(item, env) for key, item in node.items()}
    return node


def load(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose document, merge keys resolved; interpolated with `env` when given."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document if env is None else dict(_walk(document, env))


def environment(service: dict[str, Any], project: Path) -> dict[str, str]:
    """What Compose puts in a service's environment: its env files, then `environment`."""
    values: dict[str, str] = {}
    files = service.get("env_file", [])
    for entry in [files] if isinstance(files, str) else files:
        entry = {"path": entry} if isinstance(entry, str) else entry
        path = project / entry["path"]
        if path.exists() or entry.get("required", True):
            values.update(read_dotenv(path))
    declared = service.get("environment", {})
    if isinstance(declared, list):
        declared = dict(item.partition("=")[::2] for item in declared)
    values.update({key: "" if value is None else str(value) for key, value in declared.items()})
    return values
