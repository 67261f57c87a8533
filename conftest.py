"""Shared fixtures: the reference data and demo users are loaded once per test database."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from rabta.testing import load_reference_and_demo

    with django_db_blocker.unblock():
        load_reference_and_demo()


@pytest.fixture
def login_as(db: Any) -> Any:
    from rabta.accounts.models import User
    from rabta.testing import verified_client

    def _login(username: str) -> Client:
        return verified_client(User.objects.get(username=username))

    return _login
