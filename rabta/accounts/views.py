from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from rabta.accounts import twofactor
from rabta.accounts.forms import LoginForm, TokenForm
from rabta.core import audit
from django.db import transaction


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = auth.authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        if user is None:
            form.add_error(None, _("User name or password is wrong."))
        else:
            device = twofactor.confirmed_device(user)
            token = form.cleaned_data.get("otp_token") or ""
            if device is not None and not (settings.RABTA_RELAX_2FA and not token):
                if not token or not twofactor.verify(device, token):
                    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                    form.add_error("otp_token", _("The authenticator code is missing or wrong."))
                    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=400)
            auth.login(request, user)
            if device is not None and token:
                otp_login(request, device)
            with transaction.atomic():
                audit.record(actor=user, action="user.logged_in", obj=user, after={"two_factor": bool(token)})
            return redirect(_safe_next(request))
        return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=400)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    if twofactor.confirmed_device(request.user) is not None and request.user.is_verified():  # type: ignore[union-attr]
        return redirect("core:dashboard")
    if twofactor.confirmed_device(request.user) is not None:
        auth.logout(request)
        return redirect("accounts:login")
    device = twofactor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(device, form.cleaned_data["otp_token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record(actor=request.user, action="user.two_factor_enrolled", obj=request.user)
            otp_login(request, device)
            return redirect("core:dashboard")
        form.add_error("otp_token", _("That code is not right. Check the time on your phone and try again."))
    uri = twofactor.provisioning_uri(device)
    context = {"form": form, "secret": twofactor.secret_base32(device), "qr": twofactor.qr_svg_data_uri(uri)}
    return render(request, "accounts/twofactor_setup.html", context, status=400 if form.errors else 200)
