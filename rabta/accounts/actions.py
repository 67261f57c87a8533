"""Log-in: password (argon2, lock-out by django-axes) then the TOTP code, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from rabta.accounts import twofactor
from rabta.core import audit


@dataclass(frozen=True)
class LoginOutcome:
    user: Any | None = None
    locked_out: bool = False
    field: str | None = None  # the form field the error belongs to (None: the whole form)
    error: str = ""


def log_in(*, request: HttpRequest, username: str, password: str, token: str) -> LoginOutcome:
    user = auth.authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        return LoginOutcome(locked_out=True)
    if user is None:
        return LoginOutcome(error=_("User name or password is wrong."))
    device = twofactor.confirmed_device(user)
    code_required = device is not None and not (settings.RABTA_RELAX_2FA and not token)
    if code_required and not (token and twofactor.verify(device, token)):  # type: ignore[arg-type]
        # A wrong code counts towards the lock-out like a wrong password.
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        return LoginOutcome(field="otp_token", error=_("The authenticator code is missing or wrong."))
    auth.login(request, user)
    if device is not None and token:
        otp_login(request, device)
    with transaction.atomic():
        audit.record(actor=user, action="user.logged_in", obj=user, after={"two_factor": bool(device is not None and token)})
    return LoginOutcome(user=user)


@transaction.atomic
def confirm_two_factor(*, request: HttpRequest, device: Any) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=request.user, action="user.two_factor_enrolled", obj=request.user)
    otp_login(request, device)
