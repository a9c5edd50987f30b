"""Chromium's own sandbox, as the worker image runs it: renderers in their own user namespace
under seccomp, no --no-sandbox anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from browser_pool import BrowserPool

# Runs the pool and reports each Chromium process: its type, user namespace, seccomp mode and
# whether it was told --no-sandbox.
PROBE = textwrap.dedent(
    """
    import asyncio, json, os, sys
    import psutil
    from browser_pool import BrowserPool

    async def main() -> None:
        async with BrowserPool(sandbox=sys.argv[1] == "on") as pool:
            async with pool.context() as lease:
                page = await lease.new_page()
                await page.goto("data:text/html,<p id=x>sandboxed</p>")
                text = await page.text_content("#x")
                seen = []
                for child in psutil.Process().children(recursive=True):
                    args = child.cmdline()
                    if not any("chrom" in part or "headless" in part for part in args[:1]):
                        continue
                    kind = next((a[7:] for a in args if a.startswith("--type=")), "browser")
                    status = open(f"/proc/{child.pid}/status").read()
                    seccomp = next(
                        line.split()[1] for line in status.splitlines()
                        if line.startswith("Seccomp:")
                    )
                    seen.append({
                        "type": kind,
                        "userns": os.readlink(f"/proc/{child.pid}/ns/user"),
                        "seccomp": seccomp,
                        "no_sandbox": "--no-sandbox" in args,
                    })
        print(json.dumps({"euid": os.geteuid(), "text": text, "processes": seen}))

    asyncio.run(main())
    """
)


def _probe(sandbox: str) -> dict[str, object]:
    """The probe in a child process; as root, in a user namespace where it is uid 1000 (what
    Chromium checks), as the image's non-root user would be."""
    command = [sys.executable, "-c", PROBE, sandbox]
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        assert unshare, "unshare (util-linux) is needed to leave root for the sandbox test"
        command = [unshare, "--user", "--map-user=1000", "--map-group=1000", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_the_sandbox_puts_renderers_in_their_own_namespace_under_seccomp() -> None:
    report = _probe("on")
    assert report["euid"] != 0
    assert report["text"] == "sandboxed"
    processes = report["processes"]
    assert isinstance(processes, list)
    browser = next(p for p in processes if p["type"] == "browser")
    renderers = [p for p in processes if p["type"] == "renderer"]
    assert renderers, processes
    assert not any(p["no_sandbox"] for p in processes)
    for renderer in renderers:
        assert renderer["userns"] != browser["userns"]
        assert renderer["seccomp"] == "2"  # a seccomp-bpf filter


def test_without_the_sandbox_renderers_share_the_browser_namespace() -> None:
    report = _probe("off")
    processes = report["processes"]
    assert isinstance(processes, list)
    browser = next(p for p in processes if p["type"] == "browser")
    renderers = [p for p in processes if p["type"] == "renderer"]
    assert renderers
    assert all(p["no_sandbox"] for p in [browser, *renderers])
    assert all(r["userns"] == browser["userns"] for r in renderers)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root is refused the sandbox")
def test_the_sandbox_as_root_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="sandbox cannot run as root"):
        BrowserPool(sandbox=True)
