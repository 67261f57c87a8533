from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rabta.accounts import actions, twofactor
from rabta.accounts.forms import LoginForm, TokenForm


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = actions.log_in(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            token=form.cleaned_data.get("otp_token") or "",
        )
        if outcome.locked_out:
            return render(request, "accounts/locked_out.html", status=429)
        if outcome.user is not None:
            return redirect(_safe_next(request))
        form.add_error(outcome.field, outcome.error)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    if twofactor.confirmed_device(request.user) is not None:
        # Already enrolled: a password-only session goes back through the log-in with a code.
        if not request.user.is_verified():  # type: ignore[union-attr]
            auth.logout(request)
            return redirect("accounts:login")
        return redirect("core:dashboard")
    device = twofactor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(device, form.cleaned_data["otp_token"]):
            actions.confirm_two_factor(request=request, device=device)
            return redirect("core:dashboard")
        form.add_error("otp_token", _("That code is not right. Check the time on your phone and try again."))
    uri = twofactor.provisioning_uri(device)
    context = {"form": form, "secret": twofactor.secret_base32(device), "qr": twofactor.qr_svg_data_uri(uri)}
    return render(request, "accounts/twofactor_setup.html", context, status=400 if form.errors else 200)
