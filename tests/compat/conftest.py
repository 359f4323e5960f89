"""Shared fixtures for the compatibility tests: the aleph binary and the reference tools."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _aleph_bin() -> str:
    explicit = os.environ.get("ALEPH_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    for profile in ("release", "debug"):
        candidate = Path(target) / profile / "aleph"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("aleph binary not found: build it or set ALEPH_BIN")


@pytest.fixture(scope="session")
def aleph() -> str:
    return _aleph_bin()


@pytest.fixture(scope="session")
def ftm() -> str:
    """The `ftm` command of the venv running these tests."""
    path = Path(sys.executable).parent / "ftm"
    if not path.exists():
        found = shutil.which("ftm")
        if found is None:
            raise RuntimeError("the ftm command (followthemoney) is not installed")
        return found
    return str(path)


def run(cmd, input_bytes=None, check=True):
    proc = subprocess.run(cmd, input=input_bytes, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{cmd!r} failed with {proc.returncode}:\n{proc.stderr.decode(errors='replace')}"
        )
    return proc
