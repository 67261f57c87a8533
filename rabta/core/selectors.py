from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rabta.accounts.models import Level
from rabta.core.models import AuditEvent
from rabta.core.permissions import Perm, require_perm


def audit_event_list(*, actor: Any, action: str = "") -> QuerySet[AuditEvent]:
    """Audit events in the actor's jurisdiction, newest first."""
    require_perm(actor, Perm.VIEW_AUDIT)
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if actor.level == Level.REGION:
        qs = qs.filter(region_code=actor.region.code)
    elif actor.level in (Level.DISTRICT, Level.STATION):
        qs = qs.filter(district_code=actor.district.code)
    if action:
        qs = qs.filter(action__startswith=action)
    return qs


def dashboard_summary(*, actor: Any) -> dict[str, Any]:
    from rabta.org.selectors import district_list, post_list, station_list

    return {
        "district_count": district_list(actor=actor).count(),
        "station_count": station_list(actor=actor).count(),
        "post_count": post_list(actor=actor).count(),
        "my_posts": post_list(actor=actor).filter(holdings__user=actor, holdings__ended_at__isnull=True),
    }
