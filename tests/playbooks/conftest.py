"""Shared fixtures: the real playbooks, and editable copies of them in tmp_path."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from playbooks import DEFAULT_DIRECTORY, load_playbooks

PLAYBOOKS_DIR = Path(DEFAULT_DIRECTORY)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def books():
    """The playbooks shipped in the package, loaded once."""
    return load_playbooks(PLAYBOOKS_DIR)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A private copy of the shipped YAML files, safe to break."""
    target = tmp_path / "playbooks"
    target.mkdir()
    for path in PLAYBOOKS_DIR.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file with `new`, bumping its mtime."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    bump(path)


def bump(path: Path) -> None:
    """Move the file's mtime forward so a change is visible even within one clock tick."""
    later = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(later, later))


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path.name}")
