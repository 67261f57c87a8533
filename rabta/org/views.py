from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from rabta.core.permissions import Perm, has_perm
from rabta.core.views import render_page, staff_view
from rabta.org import actions, selectors
from rabta.org.forms import AssignHolderForm


@staff_view(Perm.VIEW_ORG)
@require_GET
def district_list(request: HttpRequest) -> HttpResponse:
    districts = selectors.district_list(actor=request.user)
    query = request.GET.get("q", "").strip()
    if query:
        districts = districts.filter(name_en__icontains=query) | districts.filter(name_ur__icontains=query)
    return render_page(request, "org/district_list.html", {"districts": districts, "q": query}, partial="rows")


@staff_view(Perm.VIEW_ORG)
@require_GET
def district_detail(request: HttpRequest, slug: str) -> HttpResponse:
    district = selectors.district_get(actor=request.user, slug=slug)
    context = {
        "district": district,
        "stations": selectors.station_list(actor=request.user, district=district),
        "posts": selectors.post_list(actor=request.user, district=district).filter(station__isnull=True),
    }
    return render(request, "org/district_detail.html", context)


@staff_view(Perm.VIEW_ORG)
@require_GET
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.station_get(actor=request.user, pk=pk)
    posts = selectors.post_list(actor=request.user).filter(station=station)
    return render(request, "org/station_detail.html", {"station": station, "posts": posts})


@staff_view(Perm.VIEW_ORG)
@require_GET
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(actor=request.user, pk=pk)
    context = {
        "post": post,
        "history": selectors.post_history(post=post),
        "can_assign": has_perm(request.user, Perm.CHANGE_POST_HOLDER),
        "form": AssignHolderForm(actor=request.user),
    }
    return render(request, "org/post_detail.html", context)


@staff_view(Perm.CHANGE_POST_HOLDER)
@require_http_methods(["POST"])
def post_assign_holder(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(actor=request.user, pk=pk)
    form = AssignHolderForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            actions.assign_post_holder(actor=request.user, post=post, user=form.cleaned_data["user"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("org:post_detail", pk=post.pk)
    context = {"post": post, "history": selectors.post_history(post=post), "can_assign": True, "form": form}
    return render(request, "org/post_detail.html", context, status=400)
