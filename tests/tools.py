"""The programs some tests need beyond Python. A missing one skips the test with what to install,
except under CI=true, where .ci/run installs it and its absence fails the test."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(message: str, *, in_ci: str | None = None) -> NoReturn:
    """Skip with `message`; under CI=true fail instead (with `in_ci`, if given)."""
    if os.environ.get("CI") == "true":
        pytest.fail(in_ci or message)
    pytest.skip(message)


def chromium() -> str:
    """Debian's Chromium, which Playwright drives (it may not download a browser of its own)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        unavailable("Chromium is not installed: apt-get install chromium")
    return found


def npm_installed(folder: Path) -> str:
    """Node.js, once `npm ci` has installed the folder's package-lock.json into its node_modules/
    (when missing or older than the lock; from npm's cache when offline)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("Node.js and npm are not installed: apt-get install nodejs npm")
    installed = folder / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (folder / "package-lock.json").stat().st_mtime:
        command = [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    return node
