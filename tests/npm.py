"""npm packages for tests that run real JavaScript clients, installed on first use into ``.cache/npm``.

The folder is git-ignored and kept between runs, so a package is fetched once per machine. A test
that needs Node or npm and cannot have them is skipped with the reason printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["CACHE", "node", "npm_package"]

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "npm"


def node() -> str:
    """The ``node`` executable, or skip."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node not found on PATH (Node 20 or later runs countly-sdk-nodejs)")
    return found


def npm_package(name: str, version: str) -> Path:
    """The folder of ``name`` (``version`` a semver range) under ``.cache/npm/node_modules``; installed
    there with ``npm install`` when missing or of another version; skip when npm cannot."""
    folder = CACHE / "node_modules" / name
    manifest = folder / "package.json"
    wanted_major = version.lstrip("^~").split(".")[0]
    if manifest.exists() and json.loads(manifest.read_text())["version"].split(".")[0] == wanted_major:
        return folder
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm not found on PATH: cannot install {name}@{version}")
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                               "--loglevel=error", f"{name}@{version}"], capture_output=True, text=True,
                              timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install {name}@{version} timed out")
    if done.returncode != 0 or not manifest.exists():
        pytest.skip(f"npm install {name}@{version} failed: {done.stderr.strip()[-500:]}")
    return folder
