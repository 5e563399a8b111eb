"""pytest-recording set-up: cassettes in ../cassettes, replay only (record mode 'none')."""

from __future__ import annotations

from typing import Any

import pytest
import vcr
from cassette_format import CASSETTES, register, vcr_settings


def pytest_recording_configure(config: pytest.Config, vcr: vcr.VCR) -> None:
    register(vcr)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return vcr_settings("none")


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)
