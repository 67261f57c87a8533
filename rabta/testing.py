"""Helpers shared by the test suites (imported by conftest.py and tests)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def load_reference_and_demo() -> None:
    from rabta.accounts.demo import load_demo
    from rabta.org.reference import load_reference_data

    load_reference_data()
    load_demo()


def verified_client(user: Any) -> Client:
    """A test client logged in as `user` with a verified TOTP device, as after a real log-in."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
