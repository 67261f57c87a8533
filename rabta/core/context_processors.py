from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from rabta.core.permissions import Perm, has_perm


def rabta(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "RABTA_DEMO": settings.RABTA_DEMO,
        "RABTA_RELAX_2FA": settings.RABTA_RELAX_2FA,
        "can_view_audit": has_perm(user, Perm.VIEW_AUDIT),
        "can_administer": has_perm(user, Perm.ADMINISTER),
    }
