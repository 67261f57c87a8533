"""Reads of the organisation, always scoped to what the actor may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from rabta.core.permissions import Perm, jurisdiction_q, require_perm
from rabta.org.models import District, PoliceStation, Post, PostHolding


def district_list(*, actor: Any) -> QuerySet[District]:
    require_perm(actor, Perm.VIEW_ORG)
    scope = jurisdiction_q(actor, region="region", district="pk", station=None)
    return District.objects.filter(scope).select_related("region").order_by("region__name_en", "name_en")


def district_get(*, actor: Any, slug: str) -> District:
    return district_list(actor=actor).get(slug=slug)


def station_list(*, actor: Any, district: District | None = None) -> QuerySet[PoliceStation]:
    require_perm(actor, Perm.VIEW_ORG)
    scope = jurisdiction_q(actor, region="district__region", district="district", station="pk")
    qs = PoliceStation.objects.filter(scope).select_related("district")
    if district is not None:
        qs = qs.filter(district=district)
    return qs.order_by("name_en")


def station_get(*, actor: Any, pk: int) -> PoliceStation:
    return station_list(actor=actor).get(pk=pk)


def post_list(*, actor: Any, district: District | None = None) -> QuerySet[Post]:
    require_perm(actor, Perm.VIEW_ORG)
    qs = Post.objects.filter(jurisdiction_q(actor)).select_related("district", "station", "region")
    if district is not None:
        qs = qs.filter(district=district)
    open_holdings = PostHolding.objects.filter(ended_at__isnull=True).select_related("user")
    return qs.prefetch_related(Prefetch("holdings", queryset=open_holdings, to_attr="current_holdings"))


def post_get(*, actor: Any, pk: int) -> Post:
    return post_list(actor=actor).select_related("parent").get(pk=pk)


def post_history(*, post: Post) -> QuerySet[PostHolding]:
    return post.holdings.select_related("user").order_by("-started_at")
