"""The app's pure logic (layout, saving, 422 issues, forms) under Node's own test runner."""

from __future__ import annotations

import subprocess

import pytest

from tests.web.conftest import WEB, node


def test_node_unit_tests() -> None:
    if not (WEB / "node_modules").is_dir():
        pytest.fail("web/node_modules is missing: run `make setup`")
    run = subprocess.run(
        [node(), "test.mjs"], cwd=WEB, capture_output=True, text=True, timeout=100, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout
