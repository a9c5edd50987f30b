"""The extension's pure logic under Node's own test runner, and the bot documents it writes for
every kind of recorded step, as the engine validates them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import load_workflow
from tests.extension.conftest import EXTENSION


def _node() -> str:
    found = shutil.which("node")
    if found is None or not (EXTENSION / "node_modules").is_dir():
        pytest.fail("Node.js or extension/node_modules is missing: run `make setup`")
    return found


def test_node_unit_tests() -> None:
    run = subprocess.run(
        [_node(), "test.mjs"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout


def test_every_kind_of_step_makes_a_valid_bot(tmp_path: Path) -> None:
    entry = tmp_path / "documents.ts"
    entry.write_text(
        f'import {{ appended, newBot }} from "{EXTENSION}/src/workflow";\n'
        f'import {{ EXISTING, SAMPLE }} from "{EXTENSION}/test/sample";\n'
        'console.log(JSON.stringify([newBot("sample", SAMPLE), appended(EXISTING, SAMPLE)]));\n'
    )
    script = tmp_path / "documents.mjs"
    esbuild = EXTENSION / "node_modules" / ".bin" / "esbuild"
    bundle = [str(esbuild), str(entry), "--bundle", "--platform=node", f"--outfile={script}"]
    subprocess.run([*bundle, "--format=esm", "--log-level=warning"], check=True, timeout=60)
    made = subprocess.run(
        [_node(), str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    documents = json.loads(made.stdout)
    for document in documents:
        load_workflow(document)  # raises WorkflowInvalid naming every problem
    assert [node["type"] for node in documents[1]["nodes"]][:3] == ["navigate", "fill", "navigate"]
