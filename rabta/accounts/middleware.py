"""Every staff page needs a log-in verified with a TOTP code (or the embedded demo's relaxed mode)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

_OPEN_PREFIXES = ("/accounts/login", "/accounts/logout", "/accounts/2fa/", "/static/", "/i18n/", "/health")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not settings.RABTA_RELAX_2FA
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            from rabta.accounts.twofactor import confirmed_device

            if confirmed_device(user) is not None:
                # Password-only session for a user who has a device (e.g. the admin site's own
                # log-in form): start again through the two-factor log-in.
                logout(request)
                return redirect(f"{settings.LOGIN_URL}?next={request.path}")
            return redirect("accounts:twofactor_setup")
        return self.get_response(request)
