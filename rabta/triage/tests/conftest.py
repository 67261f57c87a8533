"""Shared fixtures for the triage engine tests (no database anywhere)."""

from __future__ import annotations

import pytest

from rabta.triage.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default()
