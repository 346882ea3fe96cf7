"""Fixtures for the transfer readers: the shared WordPress export, found beside the
repository (CI clones the repository with shared/ next to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
WXR_FIXTURE = (
    REPOSITORY.parent / "shared" / "fixtures" / "wordpress" / "themeunittestdata.wordpress.xml"
)


@pytest.fixture(scope="session")
def wxr_path() -> Path:
    # A missing fixture is a failure, never a skip: these tests are the import's proof.
    assert WXR_FIXTURE.is_file(), f"the shared WordPress fixture is missing: {WXR_FIXTURE}"
    return WXR_FIXTURE


@pytest.fixture(scope="session")
def wxr_bytes(wxr_path) -> bytes:
    return wxr_path.read_bytes()
