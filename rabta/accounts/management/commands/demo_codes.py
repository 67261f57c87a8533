from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rabta.accounts.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the current TOTP codes of the demo users (demo data only)."

    def handle(self, *args: Any, **options: Any) -> None:
        names = [u.username for u in DEMO_USERS]
        devices = TOTPDevice.objects.filter(user__username__in=names, confirmed=True).select_related("user")
        if not devices:
            raise CommandError("No demo users: run `rabta run --demo` or `rabta manage load_demo` first.")
        for device in devices:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.stdout.write(f"{device.user.username:<20} {code:0{device.digits}d}")
