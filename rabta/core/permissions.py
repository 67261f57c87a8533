"""What each role may do, and the jurisdiction filter every selector applies.

Scoping lives here and in the selectors, never in templates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from rabta.accounts.models import Level, Role


class Perm(StrEnum):
    VIEW_CONSOLE = "view_console"
    VIEW_ORG = "view_org"
    CHANGE_POST_HOLDER = "change_post_holder"
    VIEW_AUDIT = "view_audit"
    ADMINISTER = "administer"


_ALL_STAFF = set(Role)
ROLE_PERMS: dict[str, set[Perm]] = {role: {Perm.VIEW_CONSOLE, Perm.VIEW_ORG} for role in _ALL_STAFF}
for _role in (Role.SUPERVISOR, Role.DIRECTOR, Role.RPO, Role.DPO, Role.ADMIN):
    ROLE_PERMS[_role].add(Perm.CHANGE_POST_HOLDER)
for _role in (Role.SUPERVISOR, Role.DIRECTOR, Role.AUDITOR, Role.ADMIN):
    ROLE_PERMS[_role].add(Perm.VIEW_AUDIT)
ROLE_PERMS[Role.ADMIN].add(Perm.ADMINISTER)


def has_perm(actor: Any, perm: Perm) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return perm in ROLE_PERMS.get(actor.role, set())


def require_perm(actor: Any, perm: Perm) -> None:
    if not has_perm(actor, perm):
        raise PermissionDenied(f"{perm} is not allowed for this role")


def jurisdiction_q(
    actor: Any,
    *,
    region: str | None = "region",
    district: str | None = "district",
    station: str | None = "station",
) -> Q:
    """A filter for rows inside the actor's jurisdiction.

    Pass the lookup paths of the row's region, district and station. A path given as None means
    the row has no such level; the actor's wider level is used instead (a station officer sees
    their own district's row, for instance). A user with no jurisdiction sees nothing.
    """
    level = actor.level
    if level == Level.PROVINCE:
        # Always true, but never an empty Q(): `Q() | other` would silently become just `other`.
        return Q(pk__isnull=False)
    if level == Level.REGION and region:
        return Q(**{region: actor.region_id})
    if level == Level.DISTRICT and district:
        return Q(**{district: actor.district_id})
    if level == Level.STATION:
        if station:
            return Q(**{station: actor.station_id})
        if district:
            return Q(**{district: actor.district_id})
    return Q(pk__in=[])
