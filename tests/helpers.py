"""Shared paths and helpers for the tests (imported as `helpers`; tests/ is on sys.path)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT.parent / "shared" / "samples"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def summarise_exe() -> str:
    """The installed console script, so CLI tests run the real process."""
    exe = Path(sys.executable).parent / "summarise"
    found = str(exe) if exe.exists() else shutil.which("summarise")
    assert found, "the summarise console script is not installed"
    return found
