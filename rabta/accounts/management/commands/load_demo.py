from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from rabta.accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create the demo staff users (idempotent) and print their log-ins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo()
        from rabta.cases.demo import load_demo_cases

        cases = load_demo_cases()
        out = self.stdout
        if cases:
            out.write(f"{cases} demo messages submitted through the public form; see the inbox.")
        out.write("")
        out.write(f"Demo log-ins (password for all: {DEMO_PASSWORD})")
        out.write(f"{'user':<20} {'role':<32} {'jurisdiction':<34} TOTP secret (add to an authenticator app)")
        for login in logins:
            out.write(f"{login.username:<20} {login.role:<32} {login.jurisdiction:<34} {login.totp_secret}")
        if settings.RABTA_RELAX_2FA:
            out.write("Two-factor log-in is RELAXED in this demo: leave the code empty. `rabta run --demo --strict-2fa` requires it.")
        else:
            out.write("Enter the 6-digit code from the authenticator app; `rabta manage demo_codes` prints the current codes.")
        out.write("")
