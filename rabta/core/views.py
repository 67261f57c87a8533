from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rabta.core import selectors
from rabta.core.permissions import Perm, require_perm

View = Callable[..., HttpResponse]


def staff_view(perm: Perm) -> Callable[[View], View]:
    """Log-in required, the role must hold `perm` (else 403); a scoped miss becomes 404."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_perm(request.user, perm)
            try:
                return view(request, *args, **kwargs)
            except ObjectDoesNotExist as exc:
                raise Http404("Not found in your jurisdiction") from exc

        return wrapped

    return decorate


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, partial: str = "") -> HttpResponse:
    """Full page, or only the named partial when htmx asks for it."""
    if partial and getattr(request, "htmx", False):
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context)


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@staff_view(Perm.VIEW_CONSOLE)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", selectors.dashboard_summary(actor=request.user))


@staff_view(Perm.VIEW_AUDIT)
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    events = selectors.audit_event_list(actor=request.user, action=request.GET.get("action", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render_page(request, "core/audit_list.html", {"page": page, "action": request.GET.get("action", "")}, partial="rows")
